"""The engine matrix: which engines a run uses, and the line it gives when one is missing."""

from __future__ import annotations

import json
import socket

import pytest

from verified_docs.matrix import Engine, MatrixError, check_answering, choose, load_matrix

ENGINES = {
    "engines": [
        {
            "name": "20.10",
            "DOCKER_HOST": "unix:///var/run/docker.sock",
            "docker": "/usr/bin/docker",
        },
        {
            "name": "28.5",
            "DOCKER_HOST": "unix:///run/vd/28.5/docker.sock",
            "docker": "/x/28.5/bin/docker",
            "DOCKER_CONFIG": "/x/28.5/docker-config",
        },
    ]
}


def test_each_engine_gets_its_socket_cli_and_name(tmp_path):
    path = tmp_path / "engines.json"
    path.write_text(json.dumps(ENGINES))
    engine = choose(load_matrix(path), ["28.5"])[0]
    env = engine.environment({"PATH": "/usr/bin", "DOCKER_CONTEXT": "desktop"})
    assert env["VERIFIED_DOCS_ENGINE"] == "28.5"
    assert env["DOCKER_HOST"] == "unix:///run/vd/28.5/docker.sock"
    assert env["DOCKER_CONFIG"] == "/x/28.5/docker-config"
    assert env["PATH"].startswith("/x/28.5/bin:")
    assert "DOCKER_CONTEXT" not in env


def test_an_engine_not_in_the_matrix_is_one_actionable_line(tmp_path):
    path = tmp_path / "engines.json"
    path.write_text(json.dumps(ENGINES))
    with pytest.raises(MatrixError, match=r"no engine 27.5 .* scripts/engines.sh up NAME"):
        choose(load_matrix(path), ["27.5"])


def test_without_engines_json_there_is_no_matrix(tmp_path):
    assert load_matrix(tmp_path / "missing.json") == []


def test_a_silent_engine_is_named_in_one_line_before_any_run(tmp_path):
    listening = tmp_path / "up.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(listening))
        server.listen()
        up = Engine("up", f"unix://{listening}", "docker", None)
        down = Engine("down", f"unix://{tmp_path / 'down.sock'}", "docker", None)
        check_answering([up])  # answers: no error
        with pytest.raises(MatrixError) as raised:
            check_answering([up, down])
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("No Docker engine answers for down ")
    assert message.endswith("`sudo bash scripts/engines.sh up down`")
