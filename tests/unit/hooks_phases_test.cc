#include <gtest/gtest.h>

#include "hooks/phases.h"

namespace arca::hooks {
namespace {

using nlohmann::json;

state::Record sample_record() {
  state::Record r;
  r.id = "c1";
  r.bundle = "/b";
  r.pid = 4242;
  r.annotations = {{"com.example.key", "v"}};
  return r;
}

spec::Hooks one_of_each() {
  spec::Hooks h;
  h.prestart = {{"/p", {}, {}, {}}};
  h.create_runtime = {{"/cr", {}, {}, {}}};
  h.create_container = {{"/cc", {}, {}, {}}};
  h.start_container = {{"/sc", {}, {}, {}}};
  h.poststart = {{"/ps", {"ps", "-x"}, {"A=1"}, 5}};
  h.poststop = {{"/pp", {}, {}, {}}, {"/pp2", {}, {}, {}}};
  return h;
}

TEST(HookPhases, NamesAreTheConfigKeys) {
  EXPECT_STREQ(name(Phase::prestart), "prestart");
  EXPECT_STREQ(name(Phase::create_runtime), "createRuntime");
  EXPECT_STREQ(name(Phase::create_container), "createContainer");
  EXPECT_STREQ(name(Phase::start_container), "startContainer");
  EXPECT_STREQ(name(Phase::poststart), "poststart");
  EXPECT_STREQ(name(Phase::poststop), "poststop");
}

TEST(HookPhases, SelectPicksTheListOfThePhase) {
  spec::Hooks h = one_of_each();
  EXPECT_EQ(select(h, Phase::prestart)[0].path, "/p");
  EXPECT_EQ(select(h, Phase::create_runtime)[0].path, "/cr");
  EXPECT_EQ(select(h, Phase::create_container)[0].path, "/cc");
  EXPECT_EQ(select(h, Phase::start_container)[0].path, "/sc");
  EXPECT_EQ(select(h, Phase::poststart)[0].path, "/ps");
  EXPECT_EQ(select(h, Phase::poststop).size(), 2u);
}

TEST(HookPhases, StatusAsRuncSendsIt) {
  EXPECT_EQ(status_at(Phase::prestart), state::Status::creating);
  EXPECT_EQ(status_at(Phase::create_runtime), state::Status::creating);
  EXPECT_EQ(status_at(Phase::create_container), state::Status::creating);
  EXPECT_EQ(status_at(Phase::start_container), state::Status::created);
  EXPECT_EQ(status_at(Phase::poststart), state::Status::running);
  EXPECT_EQ(status_at(Phase::poststop), state::Status::stopped);
}

TEST(HookPhases, StateJsonCarriesIdPidBundleAnnotations) {
  json j = json::parse(state_json(sample_record(), Phase::create_runtime));
  EXPECT_EQ(j["status"], "creating");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["bundle"], "/b");
  EXPECT_EQ(j["annotations"]["com.example.key"], "v");
  EXPECT_TRUE(j.contains("ociVersion"));
}

TEST(HookPhases, PoststopStateHasNoPid) {
  json j = json::parse(state_json(sample_record(), Phase::poststop));
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_FALSE(j.contains("pid"));
}

TEST(HookPhases, InitHooksNeededForEveryPhaseBeforeTheProcessRuns) {
  spec::Hooks none;
  EXPECT_FALSE(needs_init_hooks(none));
  for (auto pick : {&spec::Hooks::prestart, &spec::Hooks::create_runtime,
                    &spec::Hooks::create_container, &spec::Hooks::start_container}) {
    spec::Hooks h;
    (h.*pick).push_back({"/x", {}, {}, {}});
    EXPECT_TRUE(needs_init_hooks(h));
  }
  spec::Hooks later;
  later.poststart = {{"/x", {}, {}, {}}};
  later.poststop = {{"/y", {}, {}, {}}};
  EXPECT_FALSE(needs_init_hooks(later));
}

TEST(HookPhases, RecordKeepsOnlyWhatLaterVerbsRun) {
  json record = to_record(one_of_each());
  EXPECT_EQ(record.size(), 2u);
  EXPECT_EQ(record["poststart"][0],
            (json{{"path", "/ps"}, {"args", {"ps", "-x"}}, {"env", {"A=1"}}, {"timeout", 5}}));
  EXPECT_EQ(record["poststop"][1], (json{{"path", "/pp2"}}));
  EXPECT_TRUE(to_record(spec::Hooks{}).empty());
}

TEST(HookPhases, RecordRoundTrips) {
  json extra{{"hooks", to_record(one_of_each())}};
  auto back = from_record(extra);
  ASSERT_TRUE(back.ok()) << back.error().render();
  ASSERT_EQ(back->poststart.size(), 1u);
  EXPECT_EQ(back->poststart[0].path, "/ps");
  EXPECT_EQ(back->poststart[0].args, (std::vector<std::string>{"ps", "-x"}));
  EXPECT_EQ(back->poststart[0].env, (std::vector<std::string>{"A=1"}));
  EXPECT_EQ(back->poststart[0].timeout, 5);
  ASSERT_EQ(back->poststop.size(), 2u);
  EXPECT_FALSE(back->poststop[0].timeout.has_value());
  EXPECT_TRUE(back->prestart.empty());
}

TEST(HookPhases, RecordWithoutHooksHasNone) {
  auto back = from_record(json::object());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(HookPhases, BrokenRecordIsAnErrorNamingWhere) {
  EXPECT_EQ(from_record(json{{"hooks", 3}}).error().render(),
            "state.json: hooks: expected an object");
  EXPECT_EQ(from_record(json{{"hooks", {{"poststop", {{{"args", {"a"}}}}}}}}).error().render(),
            "state.json: hooks/poststop/0: expected a path");
  EXPECT_EQ(from_record(json{{"hooks", {{"poststart", {{{"path", "/a"}, {"env", {1}}}}}}}})
                .error()
                .render(),
            "state.json: hooks/poststart/0/env: expected an array of strings");
}

}  // namespace
}  // namespace arca::hooks
