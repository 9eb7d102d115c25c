#!/usr/bin/env python3
"""The enclave watchdog (share/systemd/enclavectl-enclave-watchdog) against a fake nitro-cli:
starts the enclave with the configured arguments, leaves a running one alone, starts it
again when it exits, terminates a leftover one first, adds --debug-mode only when asked,
refuses a bad configuration without calling nitro-cli, keeps going (with back-off) when a
start fails, and terminates the enclave on SIGTERM.

Usage: enclave_watchdog_test.py [WATCHDOG]
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WATCHDOG = (sys.argv.pop(1) if len(sys.argv) > 1 else
            os.path.join(HERE, "..", "..", "share", "systemd", "enclavectl-enclave-watchdog"))

# A nitro-cli that keeps its enclaves in $FAKE_STATE (JSON) and logs every call to $FAKE_LOG.
# FAKE_RUN_FAILS=1: run-enclave fails.
FAKE_NITRO_CLI = r'''#!/usr/bin/env python3
import json, os, sys
state_path, log_path = os.environ["FAKE_STATE"], os.environ["FAKE_LOG"]
with open(log_path, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
enclaves = json.load(open(state_path)) if os.path.exists(state_path) else []
command, args = sys.argv[1], sys.argv[2:]
if command == "describe-enclaves":
    print(json.dumps(enclaves))
elif command == "run-enclave":
    if os.environ.get("FAKE_RUN_FAILS") == "1":
        print("E39 insufficient memory", file=sys.stderr)
        sys.exit(39)
    name = args[args.index("--enclave-name") + 1]
    enclaves.append({"EnclaveName": name, "EnclaveID": "i-0abc-enc" + str(len(enclaves)),
                     "State": "RUNNING", "EnclaveCID": int(args[args.index("--enclave-cid") + 1])})
    json.dump(enclaves, open(state_path, "w"))
    print(json.dumps({"EnclaveName": name}))
elif command == "terminate-enclave":
    enclave_id = args[args.index("--enclave-id") + 1]
    json.dump([e for e in enclaves if e["EnclaveID"] != enclave_id], open(state_path, "w"))
else:
    sys.exit(2)
'''


class WatchdogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.fake = os.path.join(d, "nitro-cli")
        with open(self.fake, "w") as f:
            f.write(FAKE_NITRO_CLI)
        os.chmod(self.fake, 0o755)
        self.eif = os.path.join(d, "app.eif")
        open(self.eif, "wb").close()
        self.state = os.path.join(d, "state.json")
        self.log = os.path.join(d, "calls.log")
        self.env = dict(os.environ, FAKE_STATE=self.state, FAKE_LOG=self.log, NITRO_CLI=self.fake,
                        ENCLAVE_NAME="signer", ENCLAVE_EIF=self.eif, ENCLAVE_CPU_COUNT="2",
                        ENCLAVE_MEMORY_MIB="1024", ENCLAVE_CID="16", ENCLAVE_POLL_INTERVAL="1")

    def tearDown(self):
        self.dir.cleanup()

    def once(self, **env):
        return subprocess.run([sys.executable, WATCHDOG, "--once"], env=dict(self.env, **env),
                              capture_output=True, text=True, timeout=30)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(line) for line in open(self.log)]

    def enclaves(self):
        return json.load(open(self.state)) if os.path.exists(self.state) else []

    def test_starts_the_enclave_with_the_configuration(self):
        done = self.once()
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.calls(), [
            ["describe-enclaves"],
            ["run-enclave", "--enclave-name", "signer", "--eif-path", self.eif, "--cpu-count", "2",
             "--memory", "1024", "--enclave-cid", "16"]])
        self.assertEqual([e["State"] for e in self.enclaves()], ["RUNNING"])

    def test_leaves_a_running_enclave_alone(self):
        self.once()
        self.once()
        self.assertEqual([c[0] for c in self.calls()],
                         ["describe-enclaves", "run-enclave", "describe-enclaves"])

    def test_other_enclaves_do_not_count(self):
        json.dump([{"EnclaveName": "other", "EnclaveID": "x", "State": "RUNNING"}],
                  open(self.state, "w"))
        self.once()
        self.assertIn(["run-enclave"], [c[:1] for c in self.calls()])
        self.assertEqual(len(self.enclaves()), 2)

    def test_terminates_a_leftover_then_starts_again(self):
        json.dump([{"EnclaveName": "signer", "EnclaveID": "old", "State": "TERMINATING"}],
                  open(self.state, "w"))
        self.assertEqual(self.once().returncode, 0)
        self.assertEqual([c[0] for c in self.calls()],
                         ["describe-enclaves", "terminate-enclave", "run-enclave"])
        self.assertEqual(self.calls()[1], ["terminate-enclave", "--enclave-id", "old"])

    def test_debug_mode_only_when_asked(self):
        self.once(ENCLAVE_DEBUG_MODE="true")
        self.assertEqual(self.calls()[1][-1], "--debug-mode")
        self.assertIn("debug mode", self.once(ENCLAVE_DEBUG_MODE="true", ENCLAVE_NAME="b").stderr)
        os.remove(self.log)
        os.remove(self.state)
        self.once(ENCLAVE_DEBUG_MODE="false")
        self.assertNotIn("--debug-mode", self.calls()[1])

    def test_bad_configuration_is_refused_before_nitro_cli(self):
        for key, value in [("ENCLAVE_NAME", "bad name;rm"), ("ENCLAVE_NAME", ""),
                           ("ENCLAVE_EIF", "/nonexistent.eif"), ("ENCLAVE_CPU_COUNT", "1"),
                           ("ENCLAVE_CPU_COUNT", "two"), ("ENCLAVE_MEMORY_MIB", "-5"),
                           ("ENCLAVE_CID", "3"), ("ENCLAVE_CID", "4294967295"),
                           ("ENCLAVE_DEBUG_MODE", "yes"), ("ENCLAVE_POLL_INTERVAL", "0")]:
            with self.subTest(key=key, value=value):
                done = self.once(**{key: value})
                self.assertEqual(done.returncode, 64, done.stderr)
                self.assertIn(key, done.stderr)
        env = dict(self.env)
        del env["ENCLAVE_EIF"]
        done = subprocess.run([sys.executable, WATCHDOG, "--once"], env=env, capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(done.returncode, 64)
        self.assertEqual(self.calls(), [])

    def test_a_failed_start_is_reported(self):
        done = self.once(FAKE_RUN_FAILS="1")
        self.assertEqual(done.returncode, 1)
        self.assertIn("E39", done.stderr)
        self.assertEqual(self.enclaves(), [])

    def test_missing_nitro_cli(self):
        done = self.once(NITRO_CLI=os.path.join(self.dir.name, "absent"))
        self.assertEqual(done.returncode, 69)

    def test_restarts_an_exited_enclave_and_terminates_it_on_sigterm(self):
        watchdog = subprocess.Popen([sys.executable, WATCHDOG], env=self.env,
                                    stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for(lambda: len(self.enclaves()) == 1)
            first = self.enclaves()[0]["EnclaveID"]
            json.dump([], open(self.state, "w"))  # the enclave exits
            self.wait_for(lambda: len(self.enclaves()) == 1 and
                          self.enclaves()[0]["EnclaveID"] != first or
                          sum(c[0] == "run-enclave" for c in self.calls()) == 2)
            self.assertEqual(sum(c[0] == "run-enclave" for c in self.calls()), 2)
            watchdog.send_signal(signal.SIGTERM)
            self.assertEqual(watchdog.wait(timeout=20), 0)
            self.assertEqual(self.enclaves(), [])
            self.assertEqual(self.calls()[-1][0], "terminate-enclave")
        finally:
            if watchdog.poll() is None:
                watchdog.kill()
                watchdog.wait()
            watchdog.stderr.close()

    def wait_for(self, condition, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except (ValueError, OSError):
                pass  # the fake is writing its state
            time.sleep(0.1)
        self.fail("timed out; calls: %s" % self.calls())


if __name__ == "__main__":
    unittest.main()
