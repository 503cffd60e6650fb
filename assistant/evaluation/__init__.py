"""Development tools, not part of the app: the bench, its dialogs and plot, the noise
evaluation, the soak, per-stage measurements and wavcheck. The app never imports this package
and the bundle leaves it out; `voice-assistant bench` reaches the command line as an entry
point (pyproject.toml)."""
