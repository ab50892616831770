"""Node identity (:mod:`.keys`) and the artifact store (:mod:`.store`)."""
