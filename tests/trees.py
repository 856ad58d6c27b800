"""Element trees compared node by node in tests."""


def tree(element, depth: int = 0) -> list[tuple]:
    """Every node of ``element`` in document order: its depth, name, attributes, text and tail, exactly
    (a comment or processing instruction as "comment")."""
    nodes = [(depth, element.tag if isinstance(element.tag, str) else "comment", dict(element.attrib), element.text,
              element.tail)]
    for child in element:
        nodes += tree(child, depth + 1)
    return nodes
