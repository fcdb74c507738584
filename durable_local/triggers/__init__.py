"""Trigger listeners: timer, queue and blob triggers, started and stopped with the host."""
