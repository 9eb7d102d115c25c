#!/usr/bin/env python3
"""Tests of scripts/check-layers.py on small synthetic trees: each rule fails when broken."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "check-layers.py")


def run(root, *extra):
    return subprocess.run([sys.executable, SCRIPT, "--root", root, *extra],
                          capture_output=True, text=True, check=False)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class CheckLayers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        write(self.root, "core/src/a.cpp", '#include "enclavectl/core/bytes.hpp"\n')
        write(self.root, "aws/src/b.cpp", '#include "enclavectl/core/bytes.hpp"\n')
        write(self.root, "cli/src/c.cpp", '#include "enclavectl/localkms/state.hpp"\n')

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_clean_tree_passes(self):
        result = run(self.root)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_an_include_that_points_up_fails(self):
        write(self.root, "core/src/up.cpp", '#include <vector>\n#include "enclavectl/aws/arn.hpp"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("core/src/up.cpp:2: core includes aws", result.stdout)

    def test_a_sideways_include_fails(self):
        write(self.root, "verifier/src/v.cpp", '#include "enclavectl/eif/io.hpp"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("verifier includes eifbuild", result.stdout)

    def test_no_library_includes_the_cli(self):
        write(self.root, "enclave-app/src/x.cpp", '#include "enclavectl/cli/cli.hpp"\n')
        self.assertIn("enclave-app includes cli", run(self.root).stdout)

    def test_the_emulator_may_not_include_the_key_service(self):
        write(self.root, "localkms/src/x.cpp", '#include "enclavectl/app/nsm.hpp"\n')
        self.assertIn("localkms includes enclave-app", run(self.root).stdout)

    def test_only_kmspolicy_io_may_read_eif_images(self):
        write(self.root, "kmspolicy/src/io/ok.cpp", '#include "enclavectl/eif/io.hpp"\n')
        self.assertEqual(run(self.root).returncode, 0)
        write(self.root, "kmspolicy/src/policy/bad.cpp", '#include "enclavectl/eif/io.hpp"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("kmspolicy/src/policy/bad.cpp:1", result.stdout)
        self.assertNotIn("ok.cpp", result.stdout)

    def test_ethereum_sits_on_core_and_serves_the_app_and_cli(self):
        write(self.root, "ethereum/src/e.cpp", '#include "enclavectl/core/bytes.hpp"\n')
        write(self.root, "enclave-app/src/w.cpp", '#include "enclavectl/ethereum/rlp.hpp"\n')
        write(self.root, "cli/src/w.cpp", '#include "enclavectl/ethereum/address.hpp"\n')
        self.assertEqual(run(self.root).returncode, 0, run(self.root).stdout)
        write(self.root, "ethereum/src/up.cpp", '#include "enclavectl/aws/arn.hpp"\n')
        write(self.root, "bitcoin/src/side.cpp", '#include "enclavectl/ethereum/keccak.hpp"\n')
        write(self.root, "localkms/src/z.cpp", '#include "enclavectl/ethereum/keccak.hpp"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("ethereum/src/up.cpp:1: ethereum includes aws", result.stdout)
        self.assertIn("bitcoin/src/side.cpp:1: bitcoin includes ethereum", result.stdout)
        self.assertIn("localkms/src/z.cpp:1: localkms includes ethereum", result.stdout)

    def test_wallet_sits_on_ethereum_and_only_its_io_reaches_aws(self):
        write(self.root, "wallet/src/envelope.cpp", '#include "enclavectl/ethereum/address.hpp"\n')
        write(self.root, "wallet/src/io/dynamo.cpp", '#include "enclavectl/aws/arn.hpp"\n')
        write(self.root, "enclave-app/src/w.cpp", '#include "enclavectl/wallet/account.hpp"\n')
        write(self.root, "cli/src/w.cpp", '#include "enclavectl/wallet/account.hpp"\n')
        self.assertEqual(run(self.root).returncode, 0, run(self.root).stdout)
        write(self.root, "wallet/src/bad.cpp", '#include "enclavectl/aws/arn.hpp"\n')
        write(self.root, "ethereum/src/up.cpp", '#include "enclavectl/wallet/account.hpp"\n')
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("wallet/src/bad.cpp:1: wallet includes aws", result.stdout)
        self.assertIn("ethereum/src/up.cpp:1: ethereum includes wallet", result.stdout)
        self.assertNotIn("dynamo.cpp", result.stdout)

    def test_an_unknown_header_folder_fails(self):
        write(self.root, "aws/src/y.cpp", '#include "enclavectl/nowhere/x.hpp"\n')
        self.assertIn("no room's header folder", run(self.root).stdout)

    def test_a_long_file_fails_but_tests_may_be_long(self):
        write(self.root, "tests/big_test.cpp", "// x\n" * 2000)
        self.assertEqual(run(self.root).returncode, 0)
        write(self.root, "bitcoin/src/big.cpp", "// x\n" * 901)
        result = run(self.root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("bitcoin/src/big.cpp: 901 lines", result.stdout)
        self.assertEqual(run(self.root, "--max-lines", "1000").returncode, 0)

    def test_a_missing_root_is_a_usage_error(self):
        self.assertEqual(run(os.path.join(self.root, "absent")).returncode, 64)


if __name__ == "__main__":
    unittest.main()
