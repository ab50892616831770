"""Hook specifications: the ways a plugin extends storyrender.

Plugins are found through the ``storyrender`` entry-point group::

    [project.entry-points.storyrender]
    acme = "storyrender_acme"

and implement hooks with :data:`hookimpl`::

    from storyrender import hookimpl

    @hookimpl
    def register_providers(register):
        register(AcmeProvider())

The built-in ``local`` provider is registered through this same path.
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
