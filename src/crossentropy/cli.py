"""Placeholder CLI, being written."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    return 0
