"""The web pages `guyub run` serves besides the webhooks: the public catalogue and the poster.

Server-rendered HTML from Jinja2 templates (`templates/`, autoescaped, one base layout), one
small stylesheet (`static/style.css`), no JavaScript. `routes.site_routes` gives the routes;
`pages.render` renders a template in a language with `t(...)` texts from handlers/locales.
A later page (the coordinator's dashboard) adds its own routes module and templates that
extend `base.html`.
"""
