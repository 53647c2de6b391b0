// The plan of a trial, as the trial loop and the capacity search both start servers from it.
#include <gtest/gtest.h>

#include "trial/trials.hpp"

namespace hellobench {
namespace {

// A capacity search on a database scenario once started its servers with the placeholder
// itself (`--db {database}`), so every server failed to start and no capacity was measured.
// Both the trial loop and the search take the server settings from launch_settings.
TEST(LaunchSettings, ReplaceTheDatabasePlaceholderWithTheRunsDatabase) {
  RunContext context;
  context.database_uri = "postgresql://postgres@127.0.0.1:5999/postgres";
  TrialPlan plan;
  plan.settings = {{"db", "{database}"}, {"db_pool", "16"}, {"live_mb", "1"}};
  const auto settings = launch_settings(context, plan);
  EXPECT_EQ(settings.at("db"), "postgresql://postgres@127.0.0.1:5999/postgres");
  EXPECT_EQ(settings.at("db_pool"), "16");
  EXPECT_EQ(settings.at("live_mb"), "1");
}

TEST(LaunchSettings, ADatabaseScenarioIsKnownByItsPlaceholder) {
  ScenarioConfig db;
  db.settings = {{"db", "{database}"}};
  EXPECT_TRUE(needs_database(db));
  ScenarioConfig plain;
  plain.settings = {{"live_mb", "100"}};
  EXPECT_FALSE(needs_database(plain));
}

// At most 0.1% of the requests due left unsent is a rate held; one more is not.
TEST(RateHeld, AtMostOnePerThousandUnsentIsHeld) {
  EXPECT_TRUE(rate_held(0, 0));
  EXPECT_TRUE(rate_held(0, 6000));
  EXPECT_TRUE(rate_held(3, 9597));    // 3 of 9,600 due: 0.03125%
  EXPECT_TRUE(rate_held(10, 9990));   // exactly 0.1%
  EXPECT_FALSE(rate_held(11, 9989));  // 0.11%
  EXPECT_FALSE(rate_held(36, 19964)); // 0.18%
  EXPECT_FALSE(rate_held(1, 0));      // nothing sent at all
}

}  // namespace
}  // namespace hellobench
