#include "enclavectl/core/suggest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace enclavectl::core {
namespace {

TEST(Suggest, EditDistanceCountsSwapsAsOneAndIgnoresCase) {
  EXPECT_EQ(EditDistance("verify", "verify"), 0U);
  EXPECT_EQ(EditDistance("verfy", "verify"), 1U);   // a deletion
  EXPECT_EQ(EditDistance("vreify", "verify"), 1U);  // a swap
  EXPECT_EQ(EditDistance("--rott", "--root"), 1U);  // a substitution
  EXPECT_EQ(EditDistance("LINT", "lint"), 0U);
  EXPECT_EQ(EditDistance("", "abc"), 3U);
  EXPECT_EQ(EditDistance("kms", "nsm"), 2U);  // a substitution and a swap
}

TEST(Suggest, SuggestsCloseNamesThenPrefixesButNotFarOnes) {
  const std::vector<std::string> commands = {"verify", "policy", "lock-policy", "nsm", "kms",
                                             "dev",    "errors", "eif",         "help"};
  EXPECT_EQ(SuggestNames("verfy", commands), std::vector<std::string>{"verify"});
  EXPECT_EQ(SuggestNames("lock", commands), std::vector<std::string>{"lock-policy"});
  EXPECT_EQ(SuggestNames("km", commands), std::vector<std::string>{"kms"});
  EXPECT_TRUE(SuggestNames("bananas", commands).empty());
  EXPECT_TRUE(SuggestNames("verify", commands).empty()) << "the name itself is no suggestion";
  const std::vector<std::string> flags = {"--root", "--doc", "--at", "--url", "--json"};
  EXPECT_EQ(SuggestNames("--rott", flags), std::vector<std::string>{"--root"});
  EXPECT_EQ(SuggestNames("--jsno", flags), std::vector<std::string>{"--json"});
  EXPECT_EQ(SuggestNames("--ur", flags).front(), "--url");
  EXPECT_LE(SuggestNames("--x", flags, 2).size(), 2U);
}

CommandNode Tree() {
  CommandNode verify{"verify",
                     {{{"--root"}, 1, 1, false},
                      {{"--expect-pcr"}, 1, 1000, false},
                      {{"--json"}, 0, 0, false},
                      {{"--output", "-o"}, 1, 1, true}},
                     0,
                     false,
                     {}};
  CommandNode lint{"lint", {{{"--require"}, 1, 1, false}}, 1, false, {}};
  CommandNode policy{"policy", {}, 0, false, {lint, {"generate", {}, 0, false, {}}}};
  CommandNode errors{"errors", {{{"--json"}, 0, 0, false}}, 1, false, {}};
  return CommandNode{"enclavectl",
                     {{{"--help", "-h"}, 0, 0, false}},
                     0,
                     false,
                     {verify, policy, errors, {"secret", {}, 0, true, {}}}};
}

std::optional<UsageProblem> Find(const std::vector<std::string>& args) {
  return FindUnknownName(Tree(), args);
}

TEST(Suggest, FindsAnUnknownCommandAtAnyDepth) {
  auto problem = Find({"verfy", "--doc", "x"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(problem->message, "unknown command 'verfy' for 'enclavectl'");
  EXPECT_EQ(problem->suggestions, std::vector<std::string>{"verify"});
  EXPECT_EQ(problem->hint, "did you mean 'verify'?");
  problem = Find({"policy", "lnt", "p.json"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message, "unknown command 'lnt' for 'enclavectl policy'");
  EXPECT_EQ(problem->suggestions, std::vector<std::string>{"lint"});
  // Hidden commands are accepted but never suggested.
  EXPECT_FALSE(Find({"secret"}));
  problem = Find({"secrt"});
  ASSERT_TRUE(problem);
  EXPECT_TRUE(problem->suggestions.empty());
  EXPECT_EQ(problem->hint, "'enclavectl --help' lists the commands");
}

TEST(Suggest, FindsAnUnknownFlagOfTheCommandItFollows) {
  auto problem = Find({"verify", "--rott", "x"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->code, ErrorCode::kUnknownFlag);
  EXPECT_EQ(problem->message, "unknown flag '--rott' for 'enclavectl verify'");
  EXPECT_EQ(problem->suggestions, std::vector<std::string>{"--root"});
  problem = Find({"verify", "--rott=x"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->suggestions, std::vector<std::string>{"--root"});
  // --require belongs to lint, not to policy.
  problem = Find({"policy", "--require", "locked", "lint", "p.json"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->code, ErrorCode::kUnknownFlag);
  // A hidden old spelling is known but not suggested.
  EXPECT_FALSE(Find({"verify", "-o", "x"}));
  problem = Find({"verify", "--outpt", "x"});
  ASSERT_TRUE(problem);
  EXPECT_TRUE(problem->suggestions.empty());
  EXPECT_EQ(problem->hint, "'enclavectl verify --help' lists its flags");
}

TEST(Suggest, ValuesPositionalsAndDoubleDashAreNotNames) {
  // A flag's values are not commands, even when they look like one.
  EXPECT_FALSE(Find({"verify", "--root", "verfy", "--json"}));
  EXPECT_FALSE(Find({"verify", "--expect-pcr", "0=aa", "1=bb", "--json"}));
  EXPECT_FALSE(Find({"verify", "--root=-x"}));
  EXPECT_FALSE(Find({"errors", "CERT_EXPIRED"}));
  EXPECT_FALSE(Find({"errors", "A", "B"})) << "an extra value is the parser's to report";
  EXPECT_FALSE(Find({"verify", "--", "--rott"}));
  EXPECT_FALSE(Find({"policy", "lint", "-", "--require", "locked"}));
  EXPECT_FALSE(Find({}));
}

TEST(Suggest, FindCommandResolvesHelpPaths) {
  const CommandNode tree = Tree();
  const std::vector<std::string> lint = {"policy", "lint"};
  CommandLookup found = FindCommand(tree, lint);
  ASSERT_NE(found.node, nullptr);
  EXPECT_EQ(found.node->name, "lint");
  EXPECT_FALSE(found.problem);
  found = FindCommand(tree, {});
  EXPECT_EQ(found.node, &tree);
  const std::vector<std::string> typo = {"policy", "generat"};
  found = FindCommand(tree, typo);
  EXPECT_EQ(found.node, nullptr);
  ASSERT_TRUE(found.problem);
  EXPECT_EQ(found.problem->code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(found.problem->suggestions, std::vector<std::string>{"generate"});
}

}  // namespace
}  // namespace enclavectl::core
