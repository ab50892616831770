"""Hook specifications: the ways a plugin extends storyrender.

Plugins are found through the ``storyrender`` entry-point group::

    [project.entry-points.storyrender]
    acme = "storyrender_acme"

and implement hooks with :data:`hookimpl`::

    from storyrender import hookimpl

    @hookimpl
    def register_providers(register):
        register(AcmeProvider())

The built-in ``local`` provider, exporters and executors are registered through these same hooks.
Set ``STORYRENDER_TRACE_HOOKS=1`` to trace every hook call to stderr.
"""

from ..hooks import PROJECT, hookimpl, hookspec

__all__ = ["hookspec", "hookimpl", "PROJECT"]


# ---------------------------------------------------------------------------------------------
# providers
# ---------------------------------------------------------------------------------------------


@hookspec
def register_providers(register):
    """Register the providers this plugin offers.

    Called once when the plugin manager is built. A plugin may register zero, one or
    many providers; the host keeps control of names and refuses duplicates.

    :param register: call ``register(provider)`` with a
        :class:`storyrender.providers.base.Provider` instance for each provider.
    :returns: nothing (return values are ignored).
    """


# ---------------------------------------------------------------------------------------------
# outputs and executors
# ---------------------------------------------------------------------------------------------


@hookspec
def register_exporters(register):
    """Register the output formats this plugin can write from the final MP4.

    Called once when the registry is built. A board names a format in ``output.formats``;
    the file is written beside the video with the format's name as its suffix. The host
    refuses two exporters with the same name.

    :param register: call ``register(exporter)`` with a
        :class:`storyrender.stitch.exporters.Exporter` for each format. Give it a ``version`` and
        change it with every release that writes a different file: it is part of the export's
        cache key, so cached exports are made again after such an upgrade.
    :returns: nothing (return values are ignored).
    """


@hookspec
def register_executors(register):
    """Register the executors this plugin offers (``storyrender build --executor NAME``).

    Called once when the registry is built. The host refuses two executors with the same name.

    :param register: call ``register(entry)`` with a
        :class:`storyrender.execute.executors.ExecutorEntry` for each executor.
    :returns: nothing (return values are ignored).
    """
