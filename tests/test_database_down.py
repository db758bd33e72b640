"""The database goes away mid-run: calls are still answered in full (the words are in
memory), texts get an empty <Response/> (never a reply whose opt-out could not be read,
never a 5xx), and each failure is logged without the number.

PostgreSQL is cut off by a small TCP proxy between the app and the server, which the test
shuts down (and starts again). SQLite loses its file (the store's engine is pointed at a
path that cannot be opened).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from voiceline import create_app
from voiceline.storage.store import SqlStore, number_key
from voiceline.testing import ACCOUNT_SID, FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.web.services import services_of

NUMBER = "+15005550088"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server until ``stop``; ``start`` opens it again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        # close() alone does not wake a thread blocked in accept() on Linux: that accept
        # would still let one more connection through. shutdown() wakes it.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            if listener.fileno() == -1:  # accepted just as it was stopped
                client.close()
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()


class Outage:
    """A line on a real database, and a way to take that database away and bring it back."""

    def __init__(self, app, down, up):
        self.app, self.down, self.up = app, down, up


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outage(request, config, closing, tmp_path):
    settings = {**config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "VOICELINE_SMS_FROM": "+15005550006"}
    if request.param == "postgresql":
        url, _ = request.getfixturevalue("postgres_session_db")
        real = make_url(url)
        proxy = TcpProxy(real.host, real.port or 5432)
        proxy.start()
        proxied = real.set(host="127.0.0.1", port=proxy.port)
        app = closing(create_app({**settings, "DATABASE_URL": proxied.render_as_string(
            hide_password=False)}))
        yield Outage(app, proxy.stop, proxy.start)
        proxy.stop()
        return
    app = closing(create_app({**settings, "DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}"}))
    store: SqlStore = services_of(app).store
    working = store.engine

    def lose_the_file():
        store.engine = sa.create_engine(f"sqlite:///{tmp_path / 'gone' / 'l.sqlite3'}")

    def restore():
        store.engine = working

    yield Outage(app, lose_the_file, restore)


def full_call(app, signer, catalog, caller=NUMBER) -> SimulatedCall:
    """A call to a topic and back out again, with every kind of menu on the way."""
    lang = catalog.languages["en"]
    call = SimulatedCall(FlaskTransport(app.test_client()), signer, caller=caller)
    call.start()
    call.press("1")
    option = catalog.flow.menus[catalog.flow.main_menu].options[0]
    call.press(option.key)
    if option.menu:
        call.press(catalog.flow.menus[option.menu].options[0].key)
    call.silence()
    assert lang.no_input[0] in call.heard_text
    return call


def test_the_line_keeps_answering_while_the_database_is_down(outage, signer, catalog,
                                                              no_network, caplog):
    no_network.post(re.compile(r"https://api\.twilio\.com/.*"), status=201, json={})
    app, lang = outage.app, catalog.languages["en"]
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer, number=NUMBER)
    assert texter.send("hi") is not None  # up: answered
    outage.down()
    with caplog.at_level(logging.INFO):
        call = full_call(app, signer, catalog)
        assert call.press("1")[0].text == lang.call["text_failed"]  # the opt-out is unknown
        call.press("2")  # end the call
        assert call.hung_up and call.heard_text[-3:] == [
            lang.call["disclaimer"], lang.call["physician"], lang.call["goodbye"]]
        for body in ("MENU", "4", "HELP", "START", "hola"):
            assert texter.send(body) is None, body  # HTTP 200, empty <Response/>
        assert texter.send("STOP") is None
        ended = {"CallStatus": "completed", "AccountSid": ACCOUNT_SID}
        status = app.test_client().post("/voice/status", data=ended,
                                        headers=signer.headers("/voice/status", ended))
        assert status.status_code == 200
    assert len(no_network.calls) == 0  # nothing was texted without the opt-out
    assert "could not read a texter" in caplog.text
    assert "STOP NOT RECORDED" in caplog.text
    assert "5005550088" not in caplog.text
    outage.up()
    # Back: the STOP sent while it was down is applied, then kept like any other.
    assert texter.send("MENU") is None
    store, key = services_of(app).store, key_of_app(app, NUMBER)
    deadline = time.monotonic() + 10
    while (store.texter(key) is None or not store.texter(key).opted_out) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.texter(key).opted_out and not services_of(app).pending.waiting()
    assert texter.send("MENU") is None
    assert texter.send("START") is not None  # and a START after it is honoured
    assert texter.send("MENU") is not None


def key_of_app(app, number: str) -> str:
    return number_key(services_of(app).secret(), number)


def refuse_writes_to_texters(engine: sa.Engine) -> None:
    """From now on the database refuses to commit any change to ``texters``."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                                 "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
            conn.execute(sa.text("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON texters "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse()"))
        else:
            for act in ("INSERT", "UPDATE"):
                conn.execute(sa.text(f"CREATE TRIGGER refuse_{act} BEFORE {act} ON texters "
                                     "BEGIN SELECT RAISE(ABORT, 'refused'); END"))


def test_a_stop_that_cannot_be_committed_gets_an_empty_response_and_is_logged(
        config, empty_database_url, signer, closing, caplog):
    app = closing(create_app({**config, "DATABASE_URL": empty_database_url}))
    store = services_of(app).store
    store.upgrade()
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer, number=NUMBER)
    assert texter.send("hi") is not None
    refuse_writes_to_texters(store.engine)
    with caplog.at_level(logging.INFO):
        assert texter.send("STOP") is None
    assert "STOP NOT RECORDED" in caplog.text
    assert "5005550088" not in caplog.text
