"""The `guyub` command: run the bot, chat locally, run the demo, manage the database."""

import argparse
import asyncio
import logging
import re
import shlex
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.roles import NotShareable, ProcessRole, identity, tag_logs
from bot.settings import Settings
from handlers.clock import Clock, ManualClock, OffsetClock
from handlers.i18n import normalize_language
from handlers.phones import to_e164
from storage.communities import (
    create_community,
    find_members,
    get_community_by_invite,
    members_of,
    promote,
)
from storage.db import (
    NothingToMigrate,
    SchemaOutOfDate,
    current_revision,
    head_revision,
    make_engine,
    new_revision,
    transaction,
    upgrade,
)
from storage.models import Community, Member, Role

if TYPE_CHECKING:
    from bot.app import Core

__all__ = ["main"]

DEMO_START = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{2,32}")
"""One word that GABUNG reads whole and a Telegram deep link (`/start KODE`) may carry."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guyub", description="Guyub: jualan bareng komunitas.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", metavar="FILE", help="SQLite file to use instead of DATABASE_URL")
        return p

    run = with_db(sub.add_parser("run", help="start the bot (channels with credentials, or local)"))
    run.add_argument(
        "--role",
        default="all",
        choices=["all", "web", "worker", "scheduler"],
        help="all (default): the whole bot; on PostgreSQL a process may run one part: "
        "web (webhooks into the inbox), worker (inbox and outbox), scheduler (jobs, leader)",
    )
    run.add_argument("--web-child", help=argparse.SUPPRESS)  # started by `guyub run` itself
    with_db(sub.add_parser("status", help="running processes, the leader and queue depths"))
    chat = with_db(sub.add_parser("chat", help="chat with the bot in this terminal"))
    chat.add_argument("--script", metavar="FILE", help="replay a transcript and print replies")
    chat.add_argument("--as", dest="name", help="your local user name (asked for if not given)")
    sub.add_parser("demo", help="run the bundled scenario on a fresh temporary database")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    with_db(db.add_parser("upgrade", help="migrate the schema to this version"))
    with_db(db.add_parser("status", help="show the schema revision"))
    revision = db.add_parser(
        "revision", help="developers: write the next migration from the models (autogenerate)"
    )
    revision.add_argument("-m", "--message", required=True, help="what the migration does")
    revision.add_argument(
        "--empty", action="store_true", help="write it even with no schema change (data only)"
    )

    community = sub.add_parser("community", help="communities")
    csub = community.add_subparsers(dest="action", required=True)
    create = with_db(csub.add_parser("create", help="create a community"))
    create.add_argument("name")
    create.add_argument("--invite", required=True, help="invite code members send to join")
    create.add_argument(
        "--tz",
        default="Asia/Jakarta",
        help="Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)",
    )
    create.add_argument("--lang", default="id", help="default language: id or en")
    with_db(csub.add_parser("list", help="list communities"))
    change = with_db(csub.add_parser("set", help="change a community's public page and area"))
    change.add_argument("invite", help="the community's invite code")
    change.add_argument(
        "--public",
        choices=["on", "off"],
        help="the public catalogue at /k/<code> and the poster at /poster/<code>",
    )
    change.add_argument("--area", help="where it is (kelurahan, town), shown on its pages")

    broadcast = sub.add_parser("broadcast", help="announcements")
    bsub = broadcast.add_subparsers(dest="action", required=True)
    status = with_db(bsub.add_parser("status", help="recent announcements with their counts"))
    status.add_argument("--limit", type=int, default=20, help="how many (newest first)")
    with_db(sub.add_parser("outbox", help="messages queued, retrying or failed, by reason"))

    member = sub.add_parser("member", help="members")
    msub = member.add_subparsers(dest="action", required=True)
    prom = with_db(msub.add_parser("promote", help="give a member a role (coordinator)"))
    prom.add_argument("name", help="phone number, Telegram @username or id, local name, or name")
    prom.add_argument("--community", required=True, help="the community's invite code")
    prom.add_argument("--role", default="coordinator", choices=[r.value for r in Role])

    digest = sub.add_parser("digest", help="the weekly digest")
    dsub = digest.add_subparsers(dest="action", required=True)
    preview = with_db(dsub.add_parser("preview", help="print the digest as it would go out now"))
    preview.add_argument("community", help="the community's invite code")
    preview.add_argument("--member", help="phone number, Telegram @username or id, or name")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "db", None):
        overrides["database_url"] = f"sqlite:///{Path(args.db).expanduser()}"
    if getattr(args, "web_child", None):  # the parent wrote every setting into our environment
        overrides["_env_file"] = None
    return Settings(**overrides)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point of the `guyub` console script; `clock` lets a test run `guyub run` on
    virtual time."""
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValidationError as error:
        for problem in setting_problems(error):
            print(f"guyub: configuration error: {problem}", file=sys.stderr)
        return 2
    quiet = args.command in {"chat", "demo"}
    logging.basicConfig(
        level=logging.WARNING if quiet else settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "run":  # every line says which process wrote it
        tag_logs(identity(ProcessRole(args.role), settings.delivery_worker_name))
    try:
        return _dispatch(args, settings, clock)
    except SchemaOutOfDate as error:
        print(f"guyub: {error}", file=sys.stderr)
        return 3
    except NotShareable as error:
        print(f"guyub: {error}", file=sys.stderr)
        return 7
    except OperationalError as error:  # parameters are hidden (storage/db.py): no phones here
        print(f"guyub: database error: {error.orig or error}", file=sys.stderr)
        print(f"  database: {_where(settings.database_url)}", file=sys.stderr)
        return 5
    except OSError as error:
        hint = ""
        if args.command == "run":  # e.g. the web server's port is taken
            hint = f" (is another Guyub already running on {settings.host}:{settings.port}?)"
        print(f"guyub: {error.strerror or error}{hint}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        return 130


def setting_problems(error: ValidationError) -> list[str]:
    """One line per wrong setting, naming it (`PORT: ...`), without the values (secrets)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in item["loc"]).upper()
        problems.append(f"{where}: {message}" if where else message)
    return problems


def _where(database_url: str) -> str:
    """The database URL without its password, for error messages."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def _dispatch(args: argparse.Namespace, settings: Settings, clock: Clock | None = None) -> int:
    if args.command == "run":
        from bot.channels.base import CannotStart
        from bot.leader import LostLeadership
        from bot.runner import CannotListen, fast_loop_factory, run_bot
        from bot.web_processes import ChildSpec

        try:
            with asyncio.Runner(loop_factory=fast_loop_factory()) as runner:
                child = ChildSpec.decode(args.web_child) if args.web_child else None
                role = ProcessRole(args.role)
                runner.run(
                    run_bot(
                        settings, clock=clock, role=role, web_child=child, own_process=clock is None
                    )
                )
        except LostLeadership as error:
            print(
                f"guyub: {error}; stopped (restart it: another scheduler leads meanwhile)",
                file=sys.stderr,
            )
            return 8
        except CannotListen as error:
            print(f"guyub: {error}", file=sys.stderr)
            return 4
        except CannotStart as error:
            print(f"guyub: {error}", file=sys.stderr)
            return 6
        return 0
    if args.command == "chat":
        if args.script is not None and not Path(args.script).is_file():
            print(f"guyub: no such script: {args.script}", file=sys.stderr)
            return 2
        try:
            lines = (
                Path(args.script).read_text(encoding="utf-8").splitlines() if args.script else None
            )
        except UnicodeDecodeError:
            print(f"guyub: {args.script} is not UTF-8 text; save it as UTF-8", file=sys.stderr)
            return 2
        return asyncio.run(_chat(settings, lines, args.name))
    if args.command == "demo":
        return asyncio.run(_demo())
    if args.command == "db":
        return _db(args, settings)
    if args.command == "status":
        from bot.status import print_status

        return print_status(settings)
    if args.command == "community":
        return _community(args, settings)
    if args.command == "digest":
        return _digest_preview(args, settings, clock)
    if args.command in ("broadcast", "outbox"):
        return _sending(args, settings)
    return _member(args, settings)


async def _chat(settings: Settings, script: list[str] | None, name: str | None) -> int:
    from bot.app import build_core
    from bot.channels.local import LocalChat
    from bot.runner import run_interactive

    if script is None:
        with closing(build_core(settings, OffsetClock())) as core:
            await run_interactive(core, name)
        return 0
    with closing(build_core(settings, ManualClock())) as core:
        chat = LocalChat(core)
        for line in script:
            await chat.line(line)
    return 0


async def _demo() -> int:
    from bot.app import build_core
    from bot.channels.local import LocalChat

    script = resources.files("bot").joinpath("demo.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="guyub-demo-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/demo.db",
            media_dir=Path(folder) / "media",
            announce_progress_from=1,  # the demo's few members still see the progress line
            _env_file=None,  # type: ignore[call-arg]
        )
        with closing(build_core(settings, ManualClock(DEMO_START))) as core:
            with transaction(core.open_session) as session:
                create_community(
                    session=session,
                    name="KBA 13 Ulu",
                    invite_code="KBA13",
                    timezone="Asia/Jakarta",
                    language="id",
                    now=core.clock.now(),
                )
            print(
                '=== Guyub demo: komunitas "KBA 13 Ulu" (kode undangan KBA13), '
                "semua offline di kanal lokal ===\n"
            )
            chat = LocalChat(core)
            for line in script.splitlines():
                if line.startswith("##"):
                    print(f"\n{line.lstrip('#').strip()}")
                elif line.startswith("$ guyub "):
                    _demo_command(line, settings)
                else:
                    await chat.line(line)
            await _demo_web(core)
    print("\n=== selesai / done ===")
    return 0


async def _demo_web(core: "Core") -> None:
    """The demo community's web pages: their local addresses, served until Enter when
    someone is at the terminal (in CI, or piped, the demo ends at once)."""
    import os

    import uvicorn

    from bot.site.dashboard import dashboard_routes_for
    from bot.site.routes import site_routes
    from bot.web import build_web_app

    base = f"http://{core.settings.host}:{core.settings.port}"
    print(f"\nKatalog: {base}/k/kba13\nPoster:  {base}/poster/kba13.pdf")
    link = _demo_dashboard_link(core, base)
    if link:
        print(f"Dasbor:  {link}\n         (sekali pakai, 10 menit / one-time, 10 minutes)")
    if not sys.stdin.isatty() or os.environ.get("CI"):
        return
    routes = site_routes(open_session=core.open_session, options=lambda: core.options)
    routes += dashboard_routes_for(core)
    app = build_web_app(open_session=core.open_session, media=core.media, routes=routes)
    config = uvicorn.Config(
        app, host=core.settings.host, port=core.settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    print("Buka alamat di atas di browser; tekan Enter untuk selesai. (Enter to finish)")
    await asyncio.wait(
        {serving, asyncio.ensure_future(asyncio.to_thread(sys.stdin.readline))},
        return_when=asyncio.FIRST_COMPLETED,
    )
    server.should_exit = True
    await serving


def _demo_dashboard_link(core: "Core", base: str) -> str | None:
    """A one-time dashboard link for the demo community's first coordinator (as DASBOR in
    chat would send)."""
    from storage.dashboard import issue_login

    with transaction(core.open_session) as session:
        community = get_community_by_invite(session=session, invite_code="KBA13")
        if community is None:
            return None
        found = members_of(
            session=session, community_id=community.id or 0, roles=[Role.COORDINATOR]
        )
        if not found:
            return None
        token = issue_login(
            session=session,
            community_id=community.id or 0,
            member_id=found[0].id or 0,
            now=core.clock.now(),
        )
    return f"{base}/dasbor/masuk/{token}"


def _demo_command(line: str, settings: Settings) -> None:
    """A `$ guyub member ...` line of the demo: the operator's step, on the demo database."""
    print(line)
    args = _parser().parse_args(shlex.split(line)[2:])
    if args.command not in {"member", "community"}:
        print("!! the demo runs only `guyub member` and `guyub community` commands")
        return
    _dispatch(args, settings)


def _db(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "revision":
        return _revision(args.message, empty=args.empty)
    engine = make_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            before = current_revision(engine)
            upgrade(engine)
            print(f"database schema: {before or 'empty'} -> {current_revision(engine)}")
        else:
            current, head = current_revision(engine), head_revision()
            state = "up to date" if current == head else "run: guyub db upgrade"
            print(f"database schema: {current or 'empty'} (this version needs {head}): {state}")
    finally:
        engine.dispose()
    return 0


def _revision(message: str, *, empty: bool) -> int:
    """`guyub db revision -m ...`: the next numbered migration, compared against head."""
    if not message.strip():
        print('guyub: say what the migration does, e.g. -m "add events"', file=sys.stderr)
        return 2
    try:
        path = new_revision(message.strip(), empty=empty)
    except NothingToMigrate as error:
        print(f"guyub: {error} (use --empty for a data-only migration)", file=sys.stderr)
        return 1
    print(f"wrote {path}\nread it, adjust it if needed, then run: guyub db upgrade")
    return 0


def _community(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_core

    with closing(build_core(settings)) as core, transaction(core.open_session) as session:
        if args.action == "list":
            from sqlmodel import select

            for c in session.exec(select(Community)).all():
                public = "public" if c.public_catalogue else "private"
                print(f"{c.invite_code}\t{c.name}\t{c.timezone}\t{c.language}\t{public}")
            return 0
        if args.action == "set":
            return _community_set(args, session, core.settings)
        if not args.name.strip():
            print("guyub: the community needs a name", file=sys.stderr)
            return 2
        if not INVITE_CODE.fullmatch(args.invite):
            print(
                "guyub: the invite code must be one word of 2-32 letters, digits, - or _ "
                "(members type it after GABUNG; Telegram links carry it), e.g. KBA13",
                file=sys.stderr,
            )
            return 2
        if args.tz not in available_timezones():
            print(
                f"guyub: unknown time zone {args.tz!r}; use e.g. Asia/Jakarta, "
                "Asia/Makassar or Asia/Jayapura",
                file=sys.stderr,
            )
            return 2
        language = normalize_language(args.lang)
        if language is None:
            print("guyub: --lang must be id or en", file=sys.stderr)
            return 2
        if get_community_by_invite(session=session, invite_code=args.invite) is not None:
            print(f"guyub: invite code {args.invite.upper()} is already used", file=sys.stderr)
            return 2
        community = create_community(
            session=session,
            name=args.name.strip(),
            invite_code=args.invite,
            timezone=args.tz,
            language=language,
            now=core.clock.now(),
        )
        print(
            f"community {community.name!r} created; members join with: "
            f"GABUNG {community.invite_code} (Telegram: /start {community.invite_code})"
        )
    return 0


def _sending(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_core
    from bot.outbox_report import broadcast_status_lines, outbox_lines

    with closing(build_core(settings)) as core, core.open_session() as session:
        if args.command == "outbox":
            lines = outbox_lines(session)
        else:
            lines = broadcast_status_lines(session, limit=args.limit)
    print("\n".join(lines))
    return 0


def _community_set(args: argparse.Namespace, session: Session, settings: Settings) -> int:
    """`guyub community set KBA13 --public on --area "Palembang"`."""
    from handlers.public_catalogue import catalogue_path

    community = get_community_by_invite(session=session, invite_code=args.invite)
    if community is None:
        print(f"guyub: no community with invite code {args.invite}", file=sys.stderr)
        return 2
    if args.public is None and args.area is None:
        print("guyub: say what to change: --public on|off and/or --area TEXT", file=sys.stderr)
        return 2
    if args.area is not None:
        community.area = args.area.strip()[:80] or None
    if args.public is not None:
        community.public_catalogue = args.public == "on"
    session.add(community)
    if community.public_catalogue:
        path = catalogue_path(community)
        where = (
            f"{settings.public_base_url.rstrip('/')}{path}" if settings.public_base_url else path
        )
        print(f"{community.name}: public catalogue on at {where} (poster: /poster/{path[3:]}.pdf)")
    else:
        print(f"{community.name}: public catalogue off")
    return 0


def _member(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_core

    with closing(build_core(settings)) as core, transaction(core.open_session) as session:
        community = get_community_by_invite(session=session, invite_code=args.community)
        if community is None:
            print(f"guyub: no community with invite code {args.community}", file=sys.stderr)
            return 2
        member = _one_member(session, community, args.name)
        if member is None:
            return 2
        promote(member=member, role=Role(args.role), now=core.clock.now())
        session.add(member)
        print(f"{member.display_name} is now {args.role} of {community.name}")
    return 0


def _one_member(session: Session, community: Community, name: str) -> Member | None:
    """The one member `name` means (phone, @username, local name, name); None after saying
    why on stderr."""
    found = find_members(
        session=session, community_id=community.id or 0, name=name, phone=to_e164(name)
    )
    if len(found) == 1:
        return found[0]
    problem = "no member" if not found else f"{len(found)} members"
    print(
        f"guyub: {problem} matching {name!r} in {community.name}; members "
        "must join first (GABUNG), then use a phone number or @username",
        file=sys.stderr,
    )
    return None


def _digest_preview(args: argparse.Namespace, settings: Settings, clock: Clock | None) -> int:
    """`guyub digest preview KBA13 [--member Siti]`: the digest as it would go out now, for
    one member or (without --member) counted for everyone with the first one shown. Nothing
    is queued or recorded: the session is never committed."""
    from bot.app import build_core
    from jobs.digest import load_edition, plan_digests

    with closing(build_core(settings, clock)) as core, core.open_session() as session:
        community = get_community_by_invite(session=session, invite_code=args.community)
        if community is None:
            print(f"guyub: no community with invite code {args.community}", file=sys.stderr)
            return 2
        now = core.clock.now()
        only = None
        if args.member:
            member = _one_member(session, community, args.member)
            if member is None:
                return 2
            only = [member.id or 0]
        edition = load_edition(session, community, now)
        plans = list(
            plan_digests(session, community, now, edition=edition, only=only, skip_done=False)
        )
        if args.member and not plans:
            print(f"no digest for {args.member} now: nothing new, opted out or no chat app")
            return 0
        channels: dict[str, int] = {}
        for plan in plans:
            channels[plan.identity.channel] = channels.get(plan.identity.channel, 0) + 1
        if not args.member:
            counted = ", ".join(f"{n} on {c}" for c, n in sorted(channels.items())) or "none"
            print(f"{community.name}: {len(plans)} digests would go out now ({counted})")
        if plans:
            plan = plans[0]
            teaser = " (outside the WhatsApp window: this teaser, the digest after a reply)"
            print(
                f"--- to {plan.member.display_name} on {plan.identity.channel}"
                f"{teaser if plan.teaser else ''} ---"
            )
            if plan.teaser:
                print(plan.message.text)
                print("---")
            print(plan.full.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
