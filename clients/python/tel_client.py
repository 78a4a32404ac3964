"""tel_client: drive tel's co-process protocol (docs/INTEGRATION.md) from a Python executor.

Standard library only. One `TelClient` keeps two long-lived processes, `tel estimate --batch -
--protocol 1` and `tel record --batch - --protocol 1`, and exchanges one JSON line per call with each:

    with TelClient(database_url="telemetry.db", force=True) as tel:
        estimate = tel.estimate(["src/a.py"], category="implementation", complexity="low")
        ...  # call the model with max_tokens=estimate["selected_budget"]
        tel.record({"run_id": "r1", "phase_id": "p1", ...})
"""

import json
import subprocess

PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "TelClient", "TelError"]


class TelError(Exception):
    """A request tel answered with `"ok": false`, or a co-process that went away.

    `response` is the answer object (None when the process ended): its `error` reads
    "<stdin>:LINE: FIELD: what", `field` names the key to blame (or is None).
    """

    def __init__(self, message, response=None):
        super().__init__(message)
        self.response = response


class _CoProcess:
    """One `tel ... --batch - --protocol 1` process: a request line in, its answer line out."""

    def __init__(self, argv, env):
        # stderr is inherited: a pipe nobody reads could fill up and stall tel.
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._argv = argv
        self._next_id = 0

    def call(self, request):
        self._next_id += 1
        request = dict(request, id=self._next_id)
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise TelError(f"{self._argv[1]}: the tel process ended (exit {self._process.wait()})")
        line = self._process.stdout.readline()
        if not line:
            raise TelError(f"{self._argv[1]}: the tel process ended (exit {self._process.wait()})")
        response = json.loads(line)
        if response.get("protocol") != PROTOCOL_VERSION or response.get("id") != self._next_id:
            raise TelError(f"{self._argv[1]}: unexpected answer {line.strip()}", response)
        if not response["ok"]:
            raise TelError(response.get("error") or response.get("outcome", "failed"), response)
        return response

    def close(self):
        """Closes stdin and returns tel's exit code (0: every request was answered with ok)."""
        if self._process.stdin and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        self._process.stdout.read()
        return self._process.wait()


class TelClient:
    """The estimator and the fail-safe recorder of tel, as two co-processes started once.

    tel: the tel executable. database_url: where events go (else TEL_DATABASE_URL, DATABASE_URL or
    tel's default). force: record even when TELEMETRY_DB_ENABLED is off. profile / coefficients /
    workspace: as `tel estimate --profile / --coefficients / --workspace`. spool: `tel record --spool`.
    env: the processes' environment (default: this process's).
    """

    def __init__(self, tel="tel", database_url=None, force=False, profile=None,
                 coefficients=None, workspace=None, spool=None, env=None):
        protocol = ["--batch", "-", "--protocol", str(PROTOCOL_VERSION)]
        estimate = [tel, "estimate", *protocol]
        if profile is not None:
            estimate += ["--profile", profile]
        if coefficients is not None:
            estimate += ["--coefficients", str(coefficients)]
        if workspace is not None:
            estimate += ["--workspace", str(workspace)]
        record = [tel, "record", *protocol, "--quiet"]
        if database_url is not None:
            record += ["--database-url", str(database_url)]
        if force:
            record.append("--force")
        if spool is not None:
            record += ["--spool", str(spool)]
        self._estimator = _CoProcess(estimate, env)
        try:
            self._recorder = _CoProcess(record, env)
        except Exception:
            self._estimator.close()
            raise

    def estimate(self, deliverables, category, complexity, scope_paths=None, task_description=""):
        """The estimate of one phase: `estimated_tokens`, `selected_budget`, `category`, ..."""
        return self._estimator.call({
            "deliverables": deliverables,
            "category": category,
            "complexity": complexity,
            "scope_paths": scope_paths,
            "task_description": task_description,
        })

    def record(self, event):
        """Records one event (the keys of `tel record --event`); returns the answer, whose `outcome`
        is stored, already_stored, spooled, skipped or disabled. Raises TelError when it is invalid
        or lost."""
        return self._recorder.call(event)

    def close(self):
        """Ends both processes; returns their exit codes (estimate, record)."""
        return self._estimator.close(), self._recorder.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
