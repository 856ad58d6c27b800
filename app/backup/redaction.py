"""The instance configuration without its secrets, for a backup archive.

``instance/config.py`` is Python: it is parsed (never run), and every
top-level assignment to a secret's name (``SECRET_KEY``, ``MAIL_PASSWORD``,
anything with SECRET, PASSWORD, TOKEN, DSN, PRIVATE or CREDENTIAL in its
name) gets the empty string instead of its value, with a comment saying so;
then the password of every URL in the file (``postgresql://user:…@host``,
``redis://:…@host``) becomes ``***``. A restored server with such a file
refuses to start in production until the secrets are set again, which is
the point: secrets go to a backup only when asked (``--with-secrets``).
"""
import ast
import re

SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|DSN|PRIVATE|CREDENTIAL", re.IGNORECASE)
# scheme://user:password@ — the user may be empty (redis://:password@host).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"]*:)(?P<password>[^\s@'\"/]+)(?=@)")
REMOVED = "***"


class UnreadableConfig(ValueError):
    """The file is not valid Python, so its secrets cannot be found safely."""


def _assigned_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return []
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
        names += [element.id for element in elements if isinstance(element, ast.Name)]
    return names


def strip_secrets(source: str) -> str:
    """``source`` (a config file) with secrets removed (see the module).
    Raises :class:`UnreadableConfig` when it is not valid Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise UnreadableConfig(str(error)) from None
    lines = source.splitlines(keepends=True)
    # From the bottom up, so that earlier line numbers stay valid.
    for node in sorted(tree.body, key=lambda statement: statement.lineno, reverse=True):
        secret = [name for name in _assigned_names(node) if SECRET_NAME.search(name)]
        if not secret:
            continue
        first, last = node.lineno - 1, node.end_lineno - 1
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        replacement = [f"{indent}# {', '.join(secret)}: removed from the backup "
                       f"(flask backup create --with-secrets keeps it)\n"]
        replacement += [f'{indent}{name} = ""\n' for name in secret]
        lines[first:last + 1] = replacement
    return _URL_PASSWORD.sub(lambda match: match.group("head") + REMOVED, "".join(lines))
