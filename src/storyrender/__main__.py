"""``python -m storyrender``."""

from .cli.main import main

main()
