// cmddoc: the CLI11 tree described (kinds, choices, hidden), man pages and completion
// scripts rendered from it. The rendered scripts and pages of the real programs are checked
// with bash, zsh, fish and groff in tests/scripts/cmddoc_shell_test.sh.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "enclavectl/cmddoc/completion.hpp"
#include "enclavectl/cmddoc/describe.hpp"
#include "enclavectl/cmddoc/man.hpp"

namespace enclavectl::cmddoc {
namespace {

struct Tool {
  CLI::App app{"tool 1.0 - a tool for tests. More text.", "tool"};
  std::string doc, scheme, state, secret, text;
  std::vector<std::string> many;
  bool json = false;
  Tool() {
    CLI::App* check = app.add_subcommand("check", "Check a document");
    check->add_option("--doc", doc, "The attestation document file");
    check->add_option("--scheme", scheme, "The scheme")
        ->check(CLI::IsMember({"bip340", "ecdsa-p256"}));
    check->add_option("--state", state, "The state directory");
    check->add_option("--label", text, "A label")->default_str("x")->envname("TOOL_LABEL");
    check->add_option("--old", secret, "An old spelling")->group("");
    check->add_option("--many", many, "Values");
    check->add_flag("--json", json, "JSON out");
    check->add_option("input", text, "The policy file")->required();
    check->footer("Examples:\n  tool check --doc a.cbor\n\nExit codes: 0 ok, 1 rejected.");
    app.add_subcommand("secret", "hidden")->group("");
    app.require_subcommand(1);
  }
};

const core::CommandFlag* Flag(const core::CommandNode& node, const std::string& name) {
  for (const core::CommandFlag& flag : node.flags) {
    if (std::find(flag.names.begin(), flag.names.end(), name) != flag.names.end()) {
      return &flag;
    }
  }
  return nullptr;
}

TEST(CmddocDescribe, KindsChoicesAndHidden) {
  Tool tool;
  const core::CommandNode root = DescribeApp(tool.app);
  ASSERT_EQ(root.commands.size(), 2U);
  EXPECT_TRUE(root.commands[1].hidden);
  const core::CommandNode& check = root.commands[0];
  EXPECT_EQ(check.description, "Check a document");
  EXPECT_NE(check.footer.find("Examples:"), std::string::npos);
  EXPECT_EQ(Flag(check, "--doc")->kind, core::ValueKind::kFile);
  EXPECT_EQ(Flag(check, "--doc")->value_name, "FILE");
  EXPECT_EQ(Flag(check, "--scheme")->kind, core::ValueKind::kChoice);
  EXPECT_EQ(Flag(check, "--scheme")->choices, (std::vector<std::string>{"bip340", "ecdsa-p256"}));
  EXPECT_EQ(Flag(check, "--state")->kind, core::ValueKind::kDirectory);
  EXPECT_EQ(Flag(check, "--label")->kind, core::ValueKind::kText);
  EXPECT_EQ(Flag(check, "--label")->default_value, "x");
  EXPECT_EQ(Flag(check, "--label")->env, "TOOL_LABEL");
  EXPECT_TRUE(Flag(check, "--old")->hidden);
  EXPECT_EQ(Flag(check, "--json")->kind, core::ValueKind::kNone);
  EXPECT_GT(Flag(check, "--many")->max_values, 1U);
  ASSERT_EQ(check.positionals.size(), 1U);
  EXPECT_TRUE(check.positionals[0].required);
  EXPECT_EQ(check.positionals[0].kind, core::ValueKind::kFile);
  EXPECT_EQ(check.max_positionals, 1U);
}

TEST(CmddocDescribe, ChoicesOf) {
  EXPECT_EQ(ChoicesOf("TEXT:{a,b,a}"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(ChoicesOf("TEXT").empty());
  EXPECT_TRUE(ChoicesOf("TEXT:{a").empty());
}

TEST(CmddocMan, PagesAndSections) {
  Tool tool;
  ManOptions options;
  options.program = "tool";
  options.version = "1.0";
  const std::vector<ManPage> pages = RenderManPages(DescribeApp(tool.app), options);
  ASSERT_EQ(pages.size(), 2U);  // tool.1, tool-check.1; not the hidden command
  EXPECT_EQ(pages[0].file, "tool.1");
  EXPECT_EQ(pages[1].file, "tool-check.1");
  const std::string& page = pages[1].text;
  for (const char* section :
       {".SH NAME\ntool\\-check \\- Check a document\n", ".SH SYNOPSIS", ".SH DESCRIPTION",
        ".SH OPTIONS", ".SH EXAMPLES", "tool check \\-\\-doc a.cbor", ".SH \"EXIT STATUS\"",
        "Exit codes: 0 ok, 1 rejected.", ".B 64", ".SH \"SEE ALSO\"", ".BR tool (1)",
        "\\fB\\-\\-scheme\\fR \\fITEXT\\fR", "One of: bip340, ecdsa\\-p256.",
        "\\fBTOOL_LABEL\\fR"}) {
    EXPECT_NE(page.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(page.find("\\-\\-old"), std::string::npos);
  EXPECT_NE(pages[0].text.find(".SH NAME\ntool \\- a tool for tests\n"), std::string::npos);
  EXPECT_EQ(pages[0].text.find("secret"), std::string::npos);
}

TEST(CmddocMan, RoffEscape) {
  EXPECT_EQ(RoffEscape(".x\n'y\na\\b-c"), "\\&.x\n\\&'y\na\\eb\\-c");
  EXPECT_EQ(RoffEscape("\xE2\x86\x92"), "\\[u2192]");
  EXPECT_EQ(RoffEscape("\xE2"), "\\[uFFFD]");  // truncated UTF-8
  // A lead byte whose continuation is not 10xxxxxx: only the lead byte is replaced.
  EXPECT_EQ(RoffEscape("\xC3"
                       "A"),
            "\\[uFFFD]A");
  EXPECT_EQ(RoffEscape("\xFF"), "\\[uFFFD]");
}

TEST(CmddocCompletion, Scripts) {
  Tool tool;
  const core::CommandNode root = DescribeApp(tool.app);
  EXPECT_FALSE(ShellFromName("tcsh"));
  const std::string bash = RenderCompletion(root, Shell::kBash);
  EXPECT_NE(bash.find("'tool') echo 'check' ;;"), std::string::npos);
  EXPECT_NE(bash.find("'tool check|--scheme') echo 'choice bip340 ecdsa-p256' ;;"),
            std::string::npos);
  EXPECT_NE(bash.find("'tool check|--doc') echo 'file' ;;"), std::string::npos);
  EXPECT_NE(bash.find("'tool check|--old') echo 'text' ;;"), std::string::npos);  // skipped
  EXPECT_NE(bash.find("'tool check') echo 'file' ;;"), std::string::npos);        // positional
  EXPECT_NE(bash.find("complete -F _tool tool"), std::string::npos);
  EXPECT_EQ(bash.find("secret"), std::string::npos);
  EXPECT_NE(RenderCompletion(root, Shell::kZsh).find("#compdef tool"), std::string::npos);
  const std::string fish = RenderCompletion(root, Shell::kFish);
  EXPECT_NE(fish.find("-l 'scheme' -x -a 'bip340 ecdsa-p256'"), std::string::npos);
  EXPECT_NE(fish.find("-l 'doc' -r -F"), std::string::npos);
  EXPECT_EQ(fish.find("-l 'old'"), std::string::npos);
}

}  // namespace
}  // namespace enclavectl::cmddoc
