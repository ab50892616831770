"""``storyrender build``."""

from __future__ import annotations

import sys

import click

from .common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, InstalledChoice, expand_boards, handle_errors

__all__ = ["build"]

_EXIT = {"ok": 0, "interrupted": EXIT_INTERRUPTED}


def _executors():
    from ..plugins.manager import load_registry

    return load_registry().executors


@click.command()
@click.argument("boards", nargs=-1, required=True)
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
              help="Nodes made at once, for all boards together (default 8; providers also have their own limits).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache directory, shared by all BOARDS (default $STORYRENDER_CACHE, else .storyrender/ "
                   "beside the first board).")
@click.option("--offline", is_flag=True, help="Render every job with the local provider (free, no keys, no network).")
@click.option("--budget", type=click.FloatRange(0), default=None,
              help="Refuse to start when the estimated cost of what is left to render (all boards) is over USD.")
@click.option("--only", "only", multiple=True, help="Render just these beats' keyframes and segments (id or number).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report on stdout.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the machine-readable report to this file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("-v", "--verbose", is_flag=True, help="Log every node, cached ones too.")
@click.option("--executor", "executor_name", type=InstalledChoice(_executors), default=None,
              envvar="STORYRENDER_EXECUTOR", show_envvar=True,
              help="Where nodes are made: threads in this process (default), a Ray cluster (docs/scale-out.md) "
                   "or an executor a plugin offers; --ray-address implies ray.")
@click.option("--ray-address", default=None, envvar="STORYRENDER_RAY_ADDRESS", show_envvar=True,
              help="The Ray cluster for --executor ray (default $RAY_ADDRESS, else a local one is started).")
@click.option("--remote-cache", default=None, envvar="STORYRENDER_REMOTE_CACHE", show_envvar=True, metavar="URL",
              help="A shared cache beside the local one, s3://BUCKET/PREFIX (endpoint: $STORYRENDER_S3_ENDPOINT).")
@handle_errors
def build(boards, jobs, cache_dir, offline, budget, only, as_json, report_file, quiet, verbose,
          executor_name=None, ray_address=None, remote_cache=None):
    """Render BOARDS (files or globs) to video, making only what is not cached.

    All BOARDS are validated first, then rendered in one run: one cache, one job pool (a
    node two boards share is made once), then each board's outputs and manifest are written.
    Prints the path of each output. A build that made nothing is remembered: run again
    with nothing changed, it says the same in milliseconds (README, "The cache").

    \b
    Exit status:
      0    every board built
      1    a node failed in some board (the other boards are still written;
           finished work stays cached, rerun to continue)
      2    bad input: a storyboard, an option, a missing API key or --budget
           (nothing written, nothing spent)
      130  interrupted (finished work stays cached)
    """
    from .. import reads, uptodate
    from ..report.result import say_remembered, say_result

    paths = expand_boards(boards)
    single = len(paths) == 1 and not (only or verbose or executor_name or ray_address or remote_cache)
    inv = uptodate.invocation(paths[0], cache_dir=cache_dir, offline=offline, budget=budget) if single else None
    remembered = uptodate.replay(inv) if inv else None
    if remembered is not None:  # nothing it depends on changed since a build that made nothing
        sys.exit(say_remembered(remembered, as_json=as_json, quiet=quiet, report_file=report_file))
    reads.forget()
    doc = _build(paths, jobs, cache_dir, offline, budget, only, as_json, report_file, quiet, verbose,
                 executor_name, ray_address, remote_cache, remember=inv)
    sys.exit(say_result(doc, as_json=as_json, quiet=quiet, report_file=report_file))


def _build(paths, jobs, cache_dir, offline, budget, only, as_json, report_file, quiet, verbose, executor_name,
           ray_address, remote_cache, remember) -> dict:
    """Build *paths*; the run's report document (bad input: reported, then raised)."""
    from .. import api, uptodate
    from ..errors import BoardError, MissingKeyError, StoryrenderError
    from ..report import documents
    from ..report.console import make_reporter
    from ..report.result import emit

    def bad(doc: dict) -> None:
        emit(doc, as_json=as_json, report_file=report_file)

    registry = api.load_registry()
    prepared, errors = api.prepare_all(paths, offline=offline, registry=registry)  # bad input: nothing is written
    if errors:
        for _, exc in errors:
            click.echo(f"error: {exc.format()}", err=True)
        bad(documents.bad_input_doc(paths, errors, EXIT_BAD_INPUT))
        sys.exit(EXIT_BAD_INPUT)
    try:
        targets = [api.only_targets(p, only) if only else None for p in prepared]
    except BoardError as exc:
        bad(documents.bad_input_doc(paths, [(exc.file or "", exc)], EXIT_BAD_INPUT))
        raise
    reporter = make_reporter(quiet=quiet or as_json, verbose=verbose, boards=len(prepared))
    try:
        try:
            executor = api.executor_for(registry, executor_name, ray_address, jobs)
            store = api.open_boards_store(prepared, cache_dir, remote_cache)
        except StoryrenderError as exc:
            raise click.UsageError(str(exc)) from None
        with store:
            reports = api.build_many(prepared, store, events=reporter, executor=executor, jobs=jobs or 8,
                                     budget=budget, targets=targets)
    except (BoardError, MissingKeyError) as exc:
        bad({"boards": [], "status": "bad input", "error": exc.format() if isinstance(exc, BoardError) else str(exc)})
        raise
    word = documents.run_status(reports)
    results = [documents.board_result(p, r, str(api.manifest_path(p.board)) if r.outputs else None)
               for p, r in zip(prepared, reports)]
    doc = documents.build_doc(results, status=word, exit_code=_EXIT.get(word, EXIT_FAILED),
                              cache_dir=str(store.directory), seconds=reports[0].seconds if reports else 0.0)
    if remember is not None:
        uptodate.remember(remember, prepared[0], reports[0], doc)
    return doc
