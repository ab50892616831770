"""The command line: thin click commands over :mod:`storyrender.api`."""
