"""Plugin machinery: hook specifications and the plugin-manager factory."""
