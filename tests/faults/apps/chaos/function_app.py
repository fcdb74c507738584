"""Fixture app for the chaos test: the repository's approval app plus the chaining orchestrator.

The approval and activity blueprints are the repository root's own (imported unchanged); the
``chain`` orchestrator and its logging ``step`` activity come from ``chain_blueprint``.
"""

import azure.durable_functions as df
import azure.functions as func

from activities import bp as activities_bp
from approval import bp as approval_bp
from tests.faults.apps.chain_blueprint import bp as chain_bp

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(approval_bp)
app.register_functions(activities_bp)
app.register_functions(chain_bp)
