"""The engine: the Durable extension's and DTFx's rules, and the loop that applies them.

Pure parts (no store, clock or I/O): :mod:`.history` (events in the extension's shape),
:mod:`.state` (an execution's saved bookkeeping), :mod:`.delivery` (which messages an episode
takes), :mod:`.actions` (what the SDK's actions mean as work), :mod:`.episode` (one episode,
start to commit), :mod:`.nondeterminism` (DTFx's messages) and :mod:`.executor` (one call into
the SDK). :mod:`.dispatch` runs them against the store and the clock.
"""
