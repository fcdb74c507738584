"""Services the engine and the front-ends use; none of them knows orchestration rules.

* :mod:`.store` — durable state (SQLite);
* :mod:`.clock` — system, manual and auto-skip time;
* :mod:`.bindings` — storage connections and the output bindings the host writes;
* :mod:`.loader` — importing an app and indexing its functions;
* :mod:`.keys` — function keys;
* :mod:`.sdk_session` — the Durable SDK client's shared HTTP session.
"""
