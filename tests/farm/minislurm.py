"""A one-node Slurm cluster in a private directory, on loopback: its own munge key, socket and
daemon, slurm.conf, state and spool. Nothing outside the directory is written; every daemon is
stopped by stop() (and by the context manager on any exit). Commands reach it through the
environment of `env()` (SLURM_CONF)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

PLUGIN_SETTINGS = """\
# No cgroups, no accounting daemon, no MPI: what a single node inside a container can run.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=60
Waittime=0
"""


class ClusterError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MiniSlurm:
    def __init__(self, root: str, cpus: int | None = None, node: str = "d3farm1") -> None:
        self.root = os.path.abspath(root)
        self.cpus = cpus or len(os.sched_getaffinity(0))
        self.node = node
        self.conf = os.path.join(self.root, "slurm.conf")
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["SLURM_CONF"] = self.conf
        return env

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(os.path.join(self.root, "log", f"{name}.out"), "w")
        # A new session: a signal to the test's process group does not reach the daemons
        # before stop() has cancelled the jobs.
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env(), start_new_session=True)
        log.close()
        self.procs.append((name, proc))

    def _wait(self, what: str, ok, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise ClusterError(f"{name} exited ({proc.returncode}) while waiting for {what}: "
                                       f"see {self.root}/log/{name}.out")
            if ok():
                return
            time.sleep(0.2)
        raise ClusterError(f"timed out waiting for {what} (logs in {self.root}/log)")

    def start(self) -> "MiniSlurm":
        for tool in ("munged", "slurmctld", "slurmd", "sbatch"):
            if not shutil.which(tool):
                raise ClusterError(f"{tool} not found: install munge and slurm-wlm (scripts/deps.sh)")
        for d in ("munge", "state", "spool", "log"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        munge = os.path.join(self.root, "munge")
        os.chmod(self.root, 0o755)
        os.chmod(munge, 0o711)  # munged wants the socket's directory searchable, not writable by others
        key = os.path.join(munge, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        sock = os.path.join(munge, "munge.socket")
        self._spawn("munged", ["munged", "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
                               f"--log-file={self.root}/log/munged.log", f"--pid-file={munge}/munged.pid",
                               f"--seed-file={munge}/munged.seed"])
        self._wait("the munge socket", lambda: os.path.exists(sock))
        user = pwd.getpwuid(os.getuid()).pw_name
        host = socket.gethostname().split(".")[0]
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=d3farmtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool/%n
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
{PLUGIN_SETTINGS}NodeName={self.node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} State=UNKNOWN
PartitionName=farm Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
        self._wait("slurmctld", lambda: self.run(["scontrol", "ping"], check=False).returncode == 0)
        self._spawn("slurmd", ["slurmd", "-D", "-N", self.node])
        self._wait("an idle node", lambda: "idle" in self.run(["sinfo", "-h", "-o", "%T"], check=False).stdout)
        return self

    def run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env(), capture_output=True, text=True, check=check, timeout=60)

    def stop(self) -> None:
        """Cancels every job, waits for the queue to empty, then stops slurmd, slurmctld, munged."""
        if any(name == "slurmctld" and p.poll() is None for name, p in self.procs):
            self.run(["scancel", "--full", "--partition=farm"], check=False)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                q = self.run(["squeue", "-h"], check=False)
                if q.returncode != 0 or not q.stdout.strip():
                    break
                time.sleep(0.5)
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def __enter__(self) -> "MiniSlurm":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
