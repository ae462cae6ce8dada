"""The error classes carry Moleculer's code, type, retryable flag and data, and survive a dict round trip."""

from __future__ import annotations

import copy
import pickle

import pytest

from broker.errors import (
    BrokerDisconnectedError,
    BrokerOptionsError,
    GracefulStopTimeoutError,
    InvalidPacketDataError,
    MaxCallLevelError,
    MoleculerClientError,
    MoleculerError,
    MoleculerRetryableError,
    MoleculerServerError,
    ProtocolVersionMismatchError,
    QueueIsFullError,
    RequestRejectedError,
    RequestSkippedError,
    RequestTimeoutError,
    ServiceNotAvailableError,
    ServiceNotFoundError,
    ServiceSchemaError,
    ValidationError,
    error_from_dict,
)


def test_base_error_defaults_to_500_and_not_retryable():
    err = MoleculerError("Something broke")
    assert (err.message, err.code, err.type, err.data, err.retryable) == (
        "Something broke",
        500,
        None,
        None,
        False,
    )
    assert str(err) == "Something broke"
    assert isinstance(err, Exception)


def test_base_error_keeps_explicit_code_type_and_data():
    err = MoleculerError("Nope", 418, "TEAPOT", {"x": 1})
    assert (err.code, err.type, err.data) == (418, "TEAPOT", {"x": 1})


def test_retryable_and_server_errors_are_retryable_500s():
    for cls in (MoleculerRetryableError, MoleculerServerError):
        err = cls("try later", None, "BUSY")
        assert (err.code, err.type, err.retryable) == (500, "BUSY", True)
    assert issubclass(MoleculerServerError, MoleculerRetryableError)


def test_client_error_is_400_and_never_retryable():
    err = MoleculerClientError("Bad input", None, "BAD_INPUT", {"field": "a"})
    assert (err.code, err.type, err.retryable, err.data) == (400, "BAD_INPUT", False, {"field": "a"})
    assert MoleculerClientError("x", 409).code == 409


def test_validation_error_is_a_422_client_error_with_entries_as_data():
    entries = [{"type": "required", "field": "name", "message": "The 'name' field is required."}]
    err = ValidationError("Parameters validation error!", None, entries)
    assert isinstance(err, MoleculerClientError)
    assert (err.code, err.type, err.retryable, err.data) == (422, "VALIDATION_ERROR", False, entries)
    assert str(err) == "Parameters validation error!"
    assert ValidationError("Entity validation error!", "ENTITY", []).type == "ENTITY"


@pytest.mark.parametrize(
    ("err", "code", "type_", "retryable", "message"),
    [
        (
            ServiceNotFoundError({"action": "posts.get"}),
            404,
            "SERVICE_NOT_FOUND",
            True,
            "Service 'posts.get' is not found.",
        ),
        (
            ServiceNotFoundError({"action": "posts.get", "nodeID": "n2"}),
            404,
            "SERVICE_NOT_FOUND",
            True,
            "Service 'posts.get' is not found on 'n2' node.",
        ),
        (
            ServiceNotAvailableError({"action": "posts.get"}),
            404,
            "SERVICE_NOT_AVAILABLE",
            True,
            "Service 'posts.get' is not available.",
        ),
        (
            RequestTimeoutError({"action": "posts.get", "nodeID": "n1"}),
            504,
            "REQUEST_TIMEOUT",
            True,
            "Request is timed out when call 'posts.get' action on 'n1' node.",
        ),
        (
            RequestSkippedError({"action": "posts.get", "nodeID": "n1"}),
            514,
            "REQUEST_SKIPPED",
            False,
            "Calling 'posts.get' is skipped because timeout reached on 'n1' node.",
        ),
        (
            RequestRejectedError({"action": "posts.get", "nodeID": "n1"}),
            503,
            "REQUEST_REJECTED",
            True,
            "Request is rejected when call 'posts.get' action on 'n1' node.",
        ),
        (
            QueueIsFullError({"action": "posts.get", "nodeID": "n1"}),
            429,
            "QUEUE_FULL",
            True,
            "Queue is full. Request 'posts.get' action on 'n1' node is rejected.",
        ),
        (
            MaxCallLevelError({"nodeID": "n1", "level": 5}),
            500,
            "MAX_CALL_LEVEL",
            False,
            "Request level is reached the limit (5) on 'n1' node.",
        ),
        (
            GracefulStopTimeoutError({"name": "posts", "version": 2}),
            500,
            "GRACEFUL_STOP_TIMEOUT",
            False,
            "Unable to stop 'posts' service gracefully.",
        ),
        (
            ProtocolVersionMismatchError({"nodeID": "n2", "actual": "5", "received": "4"}),
            500,
            "PROTOCOL_VERSION_MISMATCH",
            False,
            "Protocol version mismatch.",
        ),
        (InvalidPacketDataError({"packet": "?"}), 500, "INVALID_PACKET_DATA", False, "Invalid packet data."),
        (
            BrokerDisconnectedError({}),
            502,
            "BAD_GATEWAY",
            True,
            "The broker's transporter has disconnected. Please try again when a connection is reestablished.",
        ),
    ],
)
def test_data_only_errors_build_moleculers_message_code_and_type(err, code, type_, retryable, message):
    assert (err.code, err.type, err.retryable, err.message, str(err)) == (
        code,
        type_,
        retryable,
        message,
        message,
    )
    assert isinstance(err.data, dict)


def test_retryable_data_errors_are_retryable_subclasses():
    for cls in (ServiceNotFoundError, ServiceNotAvailableError, RequestTimeoutError, RequestRejectedError):
        assert issubclass(cls, MoleculerRetryableError)
    assert not issubclass(RequestSkippedError, MoleculerRetryableError)


def test_schema_and_options_errors_take_message_and_data():
    schema_err = ServiceSchemaError("Service name can't be empty!", {"schema": {}})
    options_err = BrokerOptionsError("Invalid cacher", {"cacher": "X"})
    assert (schema_err.code, schema_err.type, schema_err.data) == (
        500,
        "SERVICE_SCHEMA_ERROR",
        {"schema": {}},
    )
    assert (options_err.code, options_err.type, options_err.retryable) == (500, "BROKER_OPTIONS_ERROR", False)


def test_to_dict_has_the_protocol_error_fields():
    err = MoleculerClientError("Bad thing", 400, "BAD_THING", {"x": 1})
    payload = err.to_dict("node-2")
    assert {k: payload[k] for k in ("name", "message", "nodeID", "code", "type", "retryable", "data")} == {
        "name": "MoleculerClientError",
        "message": "Bad thing",
        "nodeID": "node-2",
        "code": 400,
        "type": "BAD_THING",
        "retryable": False,
        "data": {"x": 1},
    }
    assert "stack" in payload


def test_to_dict_prefers_the_node_that_raised_the_error():
    err = MoleculerError("x")
    err.node_id = "origin"
    assert err.to_dict("relay")["nodeID"] == "origin"


def test_stack_is_present_once_the_error_was_raised():
    try:
        raise MoleculerServerError("boom")
    except MoleculerServerError as err:
        assert "boom" in err.to_dict()["stack"]


@pytest.mark.parametrize(
    "err",
    [
        MoleculerError("m", 501, "T", {"a": 1}),
        MoleculerRetryableError("m", 500, "T"),
        MoleculerServerError("m", 500, "WAITFOR_SERVICES", {"services": ["x"]}),
        MoleculerClientError("m", 403, "FORBIDDEN"),
        ValidationError("Parameters validation error!", None, [{"field": "a", "type": "required"}]),
        ServiceNotFoundError({"action": "a.b", "nodeID": "n"}),
        RequestTimeoutError({"action": "a.b", "nodeID": "n"}),
        RequestSkippedError({"action": "a.b", "nodeID": "n"}),
        MaxCallLevelError({"nodeID": "n", "level": 3}),
        ServiceSchemaError("bad schema", {"k": 1}),
    ],
    ids=lambda e: type(e).__name__,
)
def test_error_round_trips_through_a_dict_by_name(err):
    back = error_from_dict(err.to_dict("n1"))
    assert type(back) is type(err)
    assert (back.message, back.code, back.type, back.data, back.retryable) == (
        err.message,
        err.code,
        err.type,
        err.data,
        err.retryable,
    )
    assert back.node_id == "n1"


def test_a_node_js_error_payload_becomes_the_same_class():
    payload = {
        "name": "ValidationError",
        "message": "Parameters validation error!",
        "nodeID": "node-2",
        "code": 422,
        "type": "VALIDATION_ERROR",
        "retryable": False,
        "stack": "...",
        "data": [{"type": "required", "field": "name", "nodeID": "node-1", "action": "math.add"}],
    }
    err = error_from_dict(payload)
    assert isinstance(err, ValidationError)
    assert err.data[0]["field"] == "name" and err.node_id == "node-2"


def test_unknown_error_name_keeps_its_fields_on_a_moleculer_error():
    err = error_from_dict(
        {
            "name": "RemoteOnlyError",
            "message": "Entity not found",
            "code": 404,
            "type": "NOT_FOUND",
            "data": {"id": 5},
            "retryable": False,
        }
    )
    assert type(err) is MoleculerError
    assert (err.message, err.code, err.type, err.data) == ("Entity not found", 404, "NOT_FOUND", {"id": 5})
    assert err.remote_name == "RemoteOnlyError"


def test_remote_retryable_flag_wins_over_the_class_default():
    assert error_from_dict({"name": "MoleculerError", "message": "x", "retryable": True}).retryable is True
    assert (
        error_from_dict({"name": "MoleculerServerError", "message": "x", "retryable": False}).retryable
        is False
    )


def test_custom_subclasses_are_recreated_by_name():
    class PaymentDeclinedError(MoleculerClientError):
        pass

    err = error_from_dict(PaymentDeclinedError("declined", 402, "DECLINED").to_dict())
    assert type(err) is PaymentDeclinedError and err.code == 402


@pytest.mark.parametrize(
    "err",
    [
        MoleculerServerError("m", 500, "T", {"a": 1}),
        ServiceNotFoundError({"action": "a.b"}),
        ValidationError("Parameters validation error!", None, [{"field": "a"}]),
        ServiceSchemaError("bad", {"k": 1}),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_copy_and_pickle(err):
    for clone in (copy.copy(err), copy.deepcopy(err), pickle.loads(pickle.dumps(err))):
        assert type(clone) is type(err)
        assert (clone.message, clone.code, clone.type, clone.data) == (
            err.message,
            err.code,
            err.type,
            err.data,
        )
