"""Every text key the code can build exists in both languages, because no key is ever built.

The code is read with `ast`, not run: a misspelt key in a rarely taken branch fails here
instead of reaching a person as the generic apology.

- (a) The key given to `t()`, `ctx.t()`, `ctx.reply()` or `ctx.button()` is a string literal, a
  choice between literals, or a name/attribute/item holding one (a parameter, a local bound to
  literals, an entry of a literal table). An f-string, `+`, `%` or `.format()` fails.
- (b) Every string in the code that starts like a key (`catalogue.`, `profile.`, ... the
  catalogues' top-level names) is a whole key that exists. This also catches a key built
  elsewhere and passed in, because its literal start (`"catalogue.status."`) is no key.
- (c) A literal text with plural forms is given its `count=`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import handlers.features  # noqa: F401  (registers every command)
from handlers.i18n import LANGUAGES, all_texts
from handlers.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("handlers", "bot", "jobs")
TEXT_CALLS = {"t", "reply", "button"}

BUILT_ON_PURPOSE = {("handlers/registry.py", "menu.line."): "test_every_menu_line_exists"}
"""Literal key starts allowed in one file, each with the test that checks what they build."""


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _namespaces() -> set[str]:
    return {key.split(".")[0] for key in all_texts()}


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _key_argument(call: ast.Call) -> ast.expr | None:
    """The key given to a text call: `t(lang, KEY)`, `x.t(KEY)`, `x.reply(KEY)`, `x.button(KEY)`."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "t":
        return call.args[1] if len(call.args) > 1 else None
    if (
        isinstance(func, ast.Attribute)
        and func.attr in TEXT_CALLS
        and isinstance(func.value, ast.Name)  # ctx.reply(...), not self.sender.reply(...)
        and call.args
    ):
        return call.args[0]
    return None


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module or function, not those of the functions defined inside it."""
    for child in ast.iter_child_nodes(root):
        yield child
        if not isinstance(child, FUNCTIONS):
            yield from _own_nodes(child)


class _Scope:
    """The names a function (or module) binds. Parameters and loop targets are taken as given
    (their callers' literals are checked by rule b); a local must be bound to literals only."""

    def __init__(self, root: ast.AST) -> None:
        self.given: set[str] = set()
        self.bound: dict[str, list[ast.expr]] = {}
        if isinstance(root, FUNCTIONS):
            self.given = {a.arg for a in ast.walk(root.args) if isinstance(a, ast.arg)}
        for node in _own_nodes(root):
            if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                self.given |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.bound.setdefault(name.id, []).append(node.value)


def _enumerable(node: ast.expr, scope: _Scope, module: _Scope, seen: frozenset[str]) -> bool:
    """True when `node` can only hold a key written literally somewhere."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.IfExp):
        return all(_enumerable(n, scope, module, seen) for n in (node.body, node.orelse))
    if isinstance(node, ast.Tuple | ast.List):
        return all(_enumerable(n, scope, module, seen) for n in node.elts)
    if isinstance(node, ast.Dict):
        return all(_enumerable(n, scope, module, seen) for n in node.values if n is not None)
    if isinstance(node, ast.Subscript):  # TABLE[x], pair[0]
        return _enumerable(node.value, scope, module, seen)
    if isinstance(node, ast.Attribute):  # a field of a declared record: action.done_key
        return True
    if isinstance(node, ast.Call):  # Action("k1", "k2"): a record built from literals
        return isinstance(node.func, ast.Name) and all(
            _enumerable(n, scope, module, seen) for n in node.args
        )
    if isinstance(node, ast.Name):
        if node.id in seen:
            return True
        seen = seen | {node.id}
        if node.id in scope.given:
            return True
        for where in (scope, module):
            if node.id in where.bound:
                return all(_enumerable(v, scope, module, seen) for v in where.bound[node.id])
        return node.id[:1].isupper()  # an imported table or record (checked in its module)
    return False


def _calls_with_built_keys(path: str, tree: ast.Module) -> Iterator[str]:
    module = _Scope(tree)
    for root in [tree, *(n for n in ast.walk(tree) if isinstance(n, FUNCTIONS))]:
        scope = module if root is tree else _Scope(root)
        for node in _own_nodes(root):
            if not isinstance(node, ast.Call) or (key := _key_argument(node)) is None:
                continue
            if not _enumerable(key, scope, module, frozenset()):
                yield f"{path}:{node.lineno}: key built at run time: {ast.unparse(key)}"


def _unknown_keys(path: str, tree: ast.Module) -> Iterator[str]:
    texts, namespaces, docstrings = all_texts(), _namespaces(), _docstrings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        head, dot, _ = node.value.partition(".")
        if not dot or head not in namespaces or id(node) in docstrings:
            continue
        if node.value in texts or (path, node.value) in BUILT_ON_PURPOSE:
            continue
        yield f"{path}:{node.lineno}: no text {node.value!r} in handlers/locales"


def _counts_left_out(path: str, tree: ast.Module) -> Iterator[str]:
    """A literal plural text must get its `count=`, or t() fails at run time."""
    texts = all_texts()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (key := _key_argument(node)) is None:
            continue
        literals = [n.value for n in ast.walk(key) if isinstance(n, ast.Constant)]
        plural = [
            k
            for k in literals
            if isinstance(k, str) and any(isinstance(v, dict) for v in texts.get(k, {}).values())
        ]
        given = {keyword.arg for keyword in node.keywords}
        if plural and "count" not in given and None not in given:  # None: **values
            yield f"{path}:{node.lineno}: {plural[0]!r} has plural forms but no count="


def _problems() -> list[str]:
    problems = []
    for path, tree in _modules():
        problems += [
            *_calls_with_built_keys(path, tree),
            *_unknown_keys(path, tree),
            *_counts_left_out(path, tree),
        ]
    return problems


def test_every_text_key_in_the_code_is_a_literal_that_exists() -> None:
    problems = _problems()
    assert not problems, "\n".join(problems)


def test_every_menu_line_exists() -> None:
    texts = all_texts()
    for command in REGISTRY.commands:
        if command.help_key is not None:
            assert set(texts.get(command.help_key, {})) == set(LANGUAGES), command.help_key


def test_the_checker_sees_built_and_misspelt_keys() -> None:
    source = """
STATUS = {"active": "catalogue.status.active"}

def card(ctx, product, key):
    chosen = "link.done" if product else "link.bad_code"
    ctx.t(STATUS[product.status])
    ctx.reply(key)
    ctx.reply(chosen)
    ctx.reply(f"catalogue.status.{product.status}")
    ctx.t("catalogue.status." + product.status)
    ctx.t("catalogue.staus.active")
    ctx.t("catalogue.card.recommendations", number=3)
"""
    tree = ast.parse(source)
    problems = [
        *_calls_with_built_keys("x.py", tree),
        *_unknown_keys("x.py", tree),
        *_counts_left_out("x.py", tree),
    ]
    assert sorted(p.split(": ", 1)[1] for p in problems) == sorted(
        [
            "key built at run time: 'catalogue.status.' + product.status",
            "key built at run time: f'catalogue.status.{product.status}'",
            "no text 'catalogue.staus.active' in handlers/locales",
            "'catalogue.card.recommendations' has plural forms but no count=",
            "no text 'catalogue.status.' in handlers/locales",
            "no text 'catalogue.status.' in handlers/locales",
        ]
    )
