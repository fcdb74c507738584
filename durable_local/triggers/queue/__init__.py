"""The queue trigger: polling, dequeue counts, the poison queue, host.json queue options."""
