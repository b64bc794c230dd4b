"""Stand-in for kafka-python's test/service.py, which its source distribution leaves out.

Only the suite's external-broker mode (KAFKA_URI) is used here: the broker under test runs outside the tests, so
there is never a process to spawn, watch or stop.
"""


class ExternalService:
    """A broker that is already running at host:port."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def start(self):
        pass

    def stop(self):
        pass

    def dump_logs(self):
        pass

    def wait_for(self, pattern, timeout=30):
        return True


class SpawnedService:
    """Refuses to start a broker: set KAFKA_URI to the broker under test instead."""

    def __init__(self, args=None, env=None):
        raise RuntimeError("this harness runs no broker of its own; set KAFKA_URI=tcp://HOST:PORT")
