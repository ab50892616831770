"""``storyrender``: the command group. Commands live in their own modules, loaded lazily."""

from __future__ import annotations

import gc
import importlib

import click

from .. import __version__

__all__ = ["cli", "main"]

#: command name -> "module:function" (imported only when the command runs, so --help is fast)
COMMANDS = {
    "build": "storyrender.cli.build_cmd:build",
    "plan": "storyrender.cli.plan_cmd:plan",
    "validate": "storyrender.cli.validate_cmd:validate",
    "providers": "storyrender.cli.providers_cmd:providers",
    "templates": "storyrender.cli.templates_cmd:templates",
    "init": "storyrender.cli.init_cmd:init",
    "new": "storyrender.cli.new_cmd:new",
    "studio": "storyrender.cli.studio_cmd:studio",
    "cache": "storyrender.cli.cache_cmd:cache",
    "review": "storyrender.cli.review_cmd:review",
    "check": "storyrender.cli.check_cmd:check",
    "explain": "storyrender.cli.explain_cmd:explain",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="storyrender")
def cli():
    """Render storyboards (YAML) into videos, re-rendering only what changed.

    \b
    Start:    storyrender build storyboards/example.yaml
    Preview:  storyrender plan board.yaml      (what will render, why, and its cost)
    Offline:  storyrender build --offline board.yaml   (everything on the local animatic provider)

    Exit status: 0 done, 1 a node failed (finished work stays cached), 2 bad input, 130 interrupted.
    """


def main() -> None:
    # fewer, larger collections: a build allocates many long-lived objects (board, graph, plan) and
    # frees them by reference counting; the default threshold rescans them hundreds of times
    gc.set_threshold(100_000, 50, 100)
    cli(prog_name="storyrender")
