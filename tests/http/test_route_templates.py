"""Functions route templates compile to the matches ASP.NET routing would make; the Functions
host tries them in function-name order."""

from __future__ import annotations

import pytest

from durable_local.errors import AppLoadError
from durable_local.frontends.http.routes import FunctionRoutes, RouteMatch, RouteTemplate
from durable_local.services.loader import HttpFunction


def test_plain_parameter_matches_one_segment_and_decodes_it():
    template = RouteTemplate("hello/{name}")
    assert template.match("hello/world") == {"name": "world"}
    assert template.match("hello/caf%C3%A9%20au%20lait") == {"name": "café au lait"}
    assert template.match("hello") is None
    assert template.match("hello/a/b") is None


def test_encoded_slash_stays_inside_its_segment():
    assert RouteTemplate("files/{name}").match("files/a%2Fb") == {"name": "a/b"}


def test_literals_match_case_insensitively_and_trailing_slash_is_ignored():
    template = RouteTemplate("Orders/{id}")
    assert template.match("orders/7/") == {"id": "7"}
    assert template.match("ORDERS/7") == {"id": "7"}


def test_optional_parameter_may_be_absent():
    template = RouteTemplate("products/{category:alpha}/{id:int?}")
    assert template.match("products/shoes/12") == {"category": "shoes", "id": "12"}
    assert template.match("products/shoes") == {"category": "shoes"}
    assert template.match("products/shoes/x") is None


def test_default_value_fills_a_missing_parameter():
    assert RouteTemplate("page/{n:int=1}").match("page") == {"n": "1"}
    assert RouteTemplate("page/{n:int=1}").match("page/3") == {"n": "3"}


def test_catch_all_takes_the_rest_of_the_path():
    template = RouteTemplate("static/{*path}")
    assert template.match("static/css/site.css") == {"path": "css/site.css"}
    assert template.match("static") == {}


def test_complex_segment_splits_from_the_right():
    assert RouteTemplate("report/{name}.{ext}").match("report/q1.final.pdf") == {"name": "q1.final", "ext": "pdf"}


@pytest.mark.parametrize(
    ("constraint", "accepted", "rejected"),
    [
        ("int", ["42", "-7"], ["4.2", "x", "2147483648"]),
        ("long", ["2147483648"], ["9223372036854775808", "x"]),
        ("bool", ["true", "False"], ["yes", "1"]),
        ("guid", ["6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff8b86d011b42d00c04fc964ff"], ["6F9619FF", "xyz"]),
        ("alpha", ["abc", "XYZ"], ["abc1", "a-b"]),
        ("datetime", ["2025-01-01", "2025-01-01T10:00:00"], ["yesterday", "2025-13-01"]),
        ("decimal", ["1.5", "-3"], ["1e3", "x"]),
        ("double", ["1e3", "-0.5"], ["x"]),
        ("float", ["2.5"], ["1,5"]),
        ("minlength(3)", ["abc", "abcd"], ["ab"]),
        ("maxlength(3)", ["ab", "abc"], ["abcd"]),
        ("length(2)", ["ab"], ["a", "abc"]),
        ("length(2,3)", ["ab", "abc"], ["a", "abcd"]),
        ("min(10)", ["10", "99"], ["9", "x"]),
        ("max(10)", ["10", "-1"], ["11"]),
        ("range(1,5)", ["1", "5"], ["0", "6"]),
        ("regex(^\\d{{3}}$)", ["123"], ["1234", "abc"]),
    ],
)
def test_typed_constraints_accept_and_reject_like_aspnet(constraint, accepted, rejected):
    template = RouteTemplate(f"v/{{value:{constraint}}}")
    for value in accepted:
        assert template.match(f"v/{value}") == {"value": value}, value
    for value in rejected:
        assert template.match(f"v/{value}") is None, value


def test_constraints_chain():
    template = RouteTemplate("n/{id:int:min(1)}")
    assert template.match("n/5") == {"id": "5"}
    assert template.match("n/0") is None


@pytest.mark.parametrize("bad", ["x/{id:nope}", "x/{id", "x/{a}/{A}", "x/{*rest}/y", "x/{id:min(a)}"])
def test_invalid_templates_fail_at_compile_time(bad):
    with pytest.raises(ValueError, match=r"\S"):  # any message: the templates fail for different reasons
        RouteTemplate(bad)


def _fn(name: str, route: str, methods=("GET",)) -> HttpFunction:
    return HttpFunction(
        name=name, fn=lambda req: "", route=route, methods=methods, auth_level="anonymous", request_name="req"
    )


def test_routes_are_tried_in_function_name_order_and_the_first_match_answers():
    # The Functions host sorts its functions by name and routes in that order: a literal route
    # loses to a parameter route whose function's name sorts first (not ASP.NET precedence).
    routes = FunctionRoutes([_fn("new", "items/new"), _fn("by_slug", "items/{slug}")])
    found = routes.resolve("/api/items/new", "GET")
    assert isinstance(found, RouteMatch) and (found.function.name, found.values) == ("by_slug", {"slug": "new"})
    routes = FunctionRoutes([_fn("zz_by_slug", "items/{slug}"), _fn("new", "items/new")])
    found = routes.resolve("/api/items/new", "GET")
    assert isinstance(found, RouteMatch) and found.function.name == "new"
    found = routes.resolve("/api/items/other", "GET")
    assert isinstance(found, RouteMatch) and found.function.name == "zz_by_slug"


def test_names_sort_as_ordinal_ignore_case_so_an_underscore_sorts_after_letters():
    # .NET OrdinalIgnoreCase upper-cases: "A_B" > "AB" ('_' is 0x5F, 'B' 0x42); lower-casing would flip it.
    routes = FunctionRoutes([_fn("a_b", "{*rest}"), _fn("AB", "{x}")])
    assert [f.name for _, f in routes.routes] == ["AB", "a_b"]
    found = routes.resolve("/api/anything", "GET")
    assert isinstance(found, RouteMatch) and found.function.name == "AB"


def test_a_catch_all_named_to_sort_last_takes_only_what_no_other_function_takes():
    everything = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
    routes = FunctionRoutes([
        _fn("zz_unmatched", "{*path}", everything), _fn("get_thing", "things/{id}"),
        _fn("add_thing", "things", ("POST",)),
    ])
    found = routes.resolve("/api/things/7", "GET")
    assert isinstance(found, RouteMatch) and found.function.name == "get_thing"
    # A known route with a method its function does not serve falls through to the catch-all.
    found = routes.resolve("/api/things", "DELETE")
    assert isinstance(found, RouteMatch) and (found.function.name, found.values) == ("zz_unmatched", {"path": "things"})
    found = routes.resolve("/api/no/such/route", "GET")
    assert isinstance(found, RouteMatch) and found.values == {"path": "no/such/route"}


def test_a_catch_all_whose_name_sorts_first_shadows_every_route_as_on_azure():
    routes = FunctionRoutes([_fn("get_thing", "things/{id}"), _fn("any_route", "{*path}")])
    found = routes.resolve("/api/things/7", "GET")
    assert isinstance(found, RouteMatch) and found.function.name == "any_route"


def test_a_wrong_method_or_an_unknown_path_matches_no_route():
    routes = FunctionRoutes([_fn("a", "things", ("GET", "POST"))])
    assert routes.resolve("/api/things", "DELETE") is None
    assert routes.resolve("/api/nothing", "GET") is None
    assert routes.resolve("/things", "GET") is None
    found = routes.resolve("/api/things", "post")
    assert isinstance(found, RouteMatch) and found.function.name == "a"


def test_empty_route_prefix_serves_from_the_root():
    routes = FunctionRoutes([_fn("a", "things")], route_prefix="")
    assert isinstance(routes.resolve("/things", "GET"), RouteMatch)


def test_invalid_route_of_a_function_is_an_app_load_error_naming_it():
    with pytest.raises(AppLoadError, match="'broken'"):
        FunctionRoutes([_fn("broken", "x/{id:unknown}")])
