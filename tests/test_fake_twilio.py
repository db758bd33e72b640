"""The fake Twilio in voiceline.testing follows a Gather as Twilio does, so the line's
tests cannot pass on TwiML that real Twilio would read otherwise."""

from __future__ import annotations

import pytest
from flask import Flask, request

from voiceline.testing import FlaskTransport, SimulatedCall, SimulationError, TwilioSigner

TOKEN = "fake-twilio-token"


def gather_app(**attributes: str) -> Flask:
    """A line whose only menu is one Gather with ``attributes``; it answers with what it got."""
    app = Flask(__name__)
    attributes = {"input": "dtmf speech", **attributes}
    extra = "".join(f' {name}="{value}"' for name, value in attributes.items())

    @app.post("/voice")
    def menu():
        return (f'<Response><Gather action="/got"{extra}>'
                "<Say>Choose.</Say></Gather><Say>Nothing chosen.</Say></Response>")

    @app.post("/got")
    def got():
        return f"<Response><Say>Got [{request.form.get('Digits', '')}].</Say></Response>"

    return app


def call_to(**attributes: str) -> SimulatedCall:
    call = SimulatedCall(FlaskTransport(gather_app(**attributes).test_client()),
                         TwilioSigner(TOKEN))
    call.start()
    return call


def heard(said) -> list[str]:
    return [h.text for h in said]


@pytest.mark.parametrize("attributes,keys,result", [
    ({}, "12#", "Got [12]."),  # Twilio's default finishOnKey is #
    ({}, "#", "Nothing chosen."),  # only the finish key: like silence
    ({"finishOnKey": "#"}, "#", "Nothing chosen."),
    ({"finishOnKey": ""}, "#", "Got [#]."),  # no finish key: # is a key like the others
    ({"finishOnKey": "*"}, "4*", "Got [4]."),
    ({"numDigits": "1", "finishOnKey": ""}, "34", "Got [3]."),  # the Gather ends at one key
    ({"finishOnKey": "#", "actionOnEmptyResult": "true"}, "#", "Got []."),
])
def test_a_gather_ends_as_twilio_ends_it(attributes, keys, result):
    assert heard(call_to(**attributes).press(keys)) == [result]


@pytest.mark.parametrize("attributes,result", [
    ({}, "Nothing chosen."),
    ({"actionOnEmptyResult": "true"}, "Got []."),
])
def test_silence_runs_the_verbs_after_the_gather_unless_empty_results_are_sent(attributes,
                                                                              result):
    assert heard(call_to(**attributes).silence()) == [result]


def test_a_gather_that_does_not_listen_for_keys_refuses_them():
    call = call_to(input="speech")
    with pytest.raises(SimulationError):
        call.press("1")


def test_pound_at_the_lines_menus_means_hear_this_again(call, catalog):
    """The line's '#' repeats the menu: its Gathers must not end on it, as Twilio's
    default finishOnKey would, turning it into silence."""
    english = catalog.languages["en"]
    call.start()
    first = heard(call.press("1"))
    again = heard(call.press("#"))
    assert english.call["main_menu_intro"] in again
    assert english.no_input[0] not in again  # not taken for silence
    assert again == first
