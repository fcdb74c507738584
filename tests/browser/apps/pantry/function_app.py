"""A pantry with entities, for the dashboard's entity tests (written for them).

* ``Shelf`` (key: the item): how many are on the shelf. ``stock`` adds the input, ``take``
  removes it and fails when there are not enough (the state stays as it was), ``count``
  returns it, ``clear`` deletes the entity.
* ``Label`` (function ``label_entity``): a text; ``write`` replaces it.
* ``bake`` calls ``Shelf.take`` and reports a refusal instead of failing; ``restock`` signals
  ``Shelf.stock`` for each item of its input, one-way.
"""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.entity_trigger(context_name="context")
def Shelf(context: df.DurableEntityContext) -> None:
    held = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "stock":
        context.set_state(held + context.get_input())
    elif operation == "take":
        wanted = context.get_input()
        if wanted > held:
            raise ValueError(f"only {held} left, {wanted} wanted")
        context.set_state(held - wanted)
    elif operation == "count":
        context.set_result(held)
    elif operation == "clear":
        context.destruct_on_exit()


@app.entity_trigger(context_name="context", entity_name="Label")
def label_entity(context: df.DurableEntityContext) -> None:
    if context.operation_name == "write":
        context.set_state({"text": context.get_input()})


@app.orchestration_trigger(context_name="context")
def bake(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    shelf = df.EntityId("Shelf", spec["item"])
    try:
        yield context.call_entity(shelf, "take", spec["amount"])
    except Exception as err:
        return {"baked": False, "reason": str(err)}
    left = yield context.call_entity(shelf, "count")
    return {"baked": True, "left": left}


@app.orchestration_trigger(context_name="context")
def restock(context: df.DurableOrchestrationContext):
    for item, amount in context.get_input().items():
        context.signal_entity(df.EntityId("Shelf", item), "stock", amount)
    return "signalled"
