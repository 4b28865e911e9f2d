// Structural checks of what deploy/ ships for operators: the Grafana dashboard
// (deploy/grafana/vigil-dashboard.json) and the Prometheus alert rules
// (deploy/prometheus/vigil-alerts.yml) parse, are complete, and query only metric families
// vigild serves. The rules' behaviour is tested by promtool (ctest deploy.alerts.test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "processors/metrics/metrics.h"

namespace vigil::deploy {
namespace {

using ::testing::IsEmpty;
using ::testing::IsSupersetOf;

// The families vigild registers (processors/metrics), and which of them are histograms.
const std::set<std::string>& KnownMetricFamilies() {
  static const std::set<std::string> kFamilies = [] {
    const std::vector<std::string> names = metrics::Metrics("test").FamilyNames();
    return std::set<std::string>(names.begin(), names.end());
  }();
  return kFamilies;
}
const std::set<std::string>& HistogramFamilies() {
  static const std::set<std::string> kHistograms = [] {
    const std::vector<std::string> names = metrics::Metrics("test").HistogramNames();
    return std::set<std::string>(names.begin(), names.end());
  }();
  return kHistograms;
}

constexpr char kDashboardPath[] = VIGIL_SOURCE_DIR "/deploy/grafana/vigil-dashboard.json";
constexpr char kAlertsPath[] = VIGIL_SOURCE_DIR "/deploy/prometheus/vigil-alerts.yml";

// Every `vigil_…` metric name in a PromQL expression. A name starts where no identifier
// character precedes it, so `job="vigil"` and `myvigil_x` are not names.
std::vector<std::string> VigilNamesIn(const std::string& expr) {
  static const std::regex kName("(^|[^A-Za-z0-9_:])(vigil_[A-Za-z0-9_:]*)");
  std::vector<std::string> names;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[2].str());
  }
  return names;
}

// The family a series name belongs to: the name itself, or a histogram's family once its
// _bucket, _sum or _count suffix is stripped.
std::string FamilyOf(const std::string& name) {
  if (KnownMetricFamilies().contains(name)) return name;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        HistogramFamilies().contains(name.substr(0, name.size() - suffix.size()))) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

// The names in `expr` that are not series of a known family, each as "<name> in <where>".
std::vector<std::string> UnknownNames(const std::string& expr, const std::string& where) {
  std::vector<std::string> unknown;
  for (const std::string& name : VigilNamesIn(expr)) {
    if (!KnownMetricFamilies().contains(FamilyOf(name))) {
      unknown.push_back(name + " in " + where + ": " + expr);
    }
  }
  return unknown;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The name check itself: histogram series map to their family, unknown names are reported.
TEST(MetricNameCheckTest, FindsVigilNamesAndStripsHistogramSuffixes) {
  EXPECT_THAT(VigilNamesIn("histogram_quantile(0.99, sum by (le) "
                           "(rate(vigil_batch_duration_seconds_bucket{job=\"vigil\"}[5m])))"),
              ::testing::ElementsAre("vigil_batch_duration_seconds_bucket"));
  EXPECT_THAT(VigilNamesIn("up{job=\"vigil\"} == 0 or myvigil_x"), IsEmpty());
  EXPECT_THAT(UnknownNames("rate(vigil_outbox_publish_seconds_count[5m]) / "
                           "rate(vigil_outbox_publish_seconds_sum[5m])",
                           "test"),
              IsEmpty());
  EXPECT_THAT(UnknownNames("vigil_events_consumed_total + vigil_events_consumed", "test"),
              ::testing::ElementsAre("vigil_events_consumed in test: "
                                     "vigil_events_consumed_total + vigil_events_consumed"));
  EXPECT_THAT(UnknownNames("vigil_no_such_metric_bucket", "test"), ::testing::SizeIs(1));
  // Only histograms have _bucket/_sum/_count series.
  EXPECT_THAT(UnknownNames("vigil_timers_pending_count", "test"), ::testing::SizeIs(1));
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string text = ReadFile(kDashboardPath);
    ASSERT_FALSE(text.empty()) << "cannot read " << kDashboardPath;
    dashboard_ = nlohmann::json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(dashboard_.is_discarded()) << kDashboardPath << " is not valid JSON";
    ASSERT_TRUE(dashboard_.is_object());
    ASSERT_TRUE(dashboard_.contains("panels") && dashboard_["panels"].is_array())
        << "no panels array";
    // Top-level panels, and the panels folded inside collapsed rows.
    for (const nlohmann::json& panel : dashboard_["panels"]) {
      panels_.push_back(panel);
      if (panel.contains("panels") && panel["panels"].is_array()) {
        for (const nlohmann::json& inner : panel["panels"]) panels_.push_back(inner);
      }
    }
  }

  // The templating variable called `name`, or null.
  nlohmann::json Variable(const std::string& name) const {
    const nlohmann::json::json_pointer list("/templating/list");
    for (const nlohmann::json& v : dashboard_.value(list, nlohmann::json::array())) {
      if (v.value("name", "") == name) return v;
    }
    return nullptr;
  }

  nlohmann::json dashboard_;
  std::vector<nlohmann::json> panels_;
};

// The dashboard is identified as "vigil-overview" / "Vigil" and has panels.
TEST_F(DashboardTest, HasIdentityAndPanels) {
  EXPECT_EQ(dashboard_.value("uid", ""), "vigil-overview");
  EXPECT_EQ(dashboard_.value("title", ""), "Vigil");
  ASSERT_TRUE(dashboard_.contains("schemaVersion"));
  ASSERT_TRUE(dashboard_["schemaVersion"].is_number_integer());
  EXPECT_GE(dashboard_["schemaVersion"].get<int>(), 36);  // datasource objects with uid
  EXPECT_FALSE(panels_.empty());
}

// Panel ids, rows included, are unique: Grafana links and edits panels by id.
TEST_F(DashboardTest, PanelIdsAreUnique) {
  std::set<int> ids;
  for (const nlohmann::json& panel : panels_) {
    ASSERT_TRUE(panel.contains("id") && panel["id"].is_number_integer())
        << "panel without an integer id: " << panel.value("title", "?");
    const int id = panel["id"].get<int>();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate panel id " << id;
  }
}

// Every panel that is not a row has a title, a known type, a place on the 24-column grid,
// the ${datasource} data source, a unit, and targets with an expression and a unique refId.
TEST_F(DashboardTest, EveryPanelIsComplete) {
  const std::set<std::string> kTypes = {"timeseries", "stat"};
  const std::set<std::string> kUnits = {"s", "bytes", "short", "ops"};
  int checked = 0;
  for (const nlohmann::json& panel : panels_) {
    if (panel.value("type", "") == "row") continue;
    ++checked;
    const std::string title = panel.value("title", "");
    SCOPED_TRACE("panel " + std::to_string(panel.value("id", -1)) + " \"" + title + "\"");
    EXPECT_FALSE(title.empty());
    EXPECT_TRUE(kTypes.contains(panel.value("type", ""))) << "type " << panel.value("type", "");

    ASSERT_TRUE(panel.contains("gridPos") && panel["gridPos"].is_object());
    const nlohmann::json& grid = panel["gridPos"];
    for (const char* key : {"x", "y", "w", "h"}) {
      ASSERT_TRUE(grid.contains(key) && grid[key].is_number_integer()) << "gridPos." << key;
    }
    const int x = grid["x"].get<int>(), w = grid["w"].get<int>();
    EXPECT_GE(x, 0);
    EXPECT_GT(w, 0);
    EXPECT_LE(x + w, 24) << "gridPos x=" << x << " w=" << w;
    EXPECT_GT(grid["h"].get<int>(), 0);

    EXPECT_EQ(panel.value(nlohmann::json::json_pointer("/datasource/uid"), ""), "${datasource}");
    const std::string unit =
        panel.value(nlohmann::json::json_pointer("/fieldConfig/defaults/unit"), "");
    EXPECT_TRUE(kUnits.contains(unit)) << "unit \"" << unit << "\"";

    ASSERT_TRUE(panel.contains("targets") && panel["targets"].is_array());
    EXPECT_FALSE(panel["targets"].empty()) << "no targets";
    std::set<std::string> ref_ids;
    for (const nlohmann::json& target : panel["targets"]) {
      EXPECT_FALSE(target.value("expr", "").empty()) << "target without expr";
      const std::string ref_id = target.value("refId", "");
      EXPECT_FALSE(ref_id.empty()) << "target without refId";
      EXPECT_TRUE(ref_ids.insert(ref_id).second) << "duplicate refId " << ref_id;
    }
  }
  EXPECT_GT(checked, 0);
}

// The data source is chosen by a Prometheus `datasource` variable, and the instances by an
// `instance` variable over vigil_build_info.
TEST_F(DashboardTest, HasDatasourceAndInstanceVariables) {
  const nlohmann::json datasource = Variable("datasource");
  ASSERT_FALSE(datasource.is_null()) << "no datasource variable";
  EXPECT_EQ(datasource.value("type", ""), "datasource");
  EXPECT_EQ(datasource.value("query", ""), "prometheus");

  const nlohmann::json instance = Variable("instance");
  ASSERT_FALSE(instance.is_null()) << "no instance variable";
  EXPECT_EQ(instance.value("type", ""), "query");
  EXPECT_EQ(instance.value(nlohmann::json::json_pointer("/datasource/uid"), ""), "${datasource}");
  // Grafana writes the query as a string (older) or as {query, refId} (newer).
  const nlohmann::json& query = instance["query"];
  const std::string text = query.is_string() ? query.get<std::string>() : query.value("query", "");
  EXPECT_EQ(text, "label_values(vigil_build_info, instance)");
}

// Every vigil_ name a panel or variable queries is a family vigild serves.
TEST_F(DashboardTest, QueriesOnlyKnownMetrics) {
  std::vector<std::string> unknown;
  std::set<std::string> used;
  for (const nlohmann::json& panel : panels_) {
    for (const nlohmann::json& target : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = target.value("expr", "");
      const std::string where = "panel \"" + panel.value("title", "") + "\"";
      for (std::string& u : UnknownNames(expr, where)) unknown.push_back(std::move(u));
      for (const std::string& name : VigilNamesIn(expr)) used.insert(FamilyOf(name));
    }
  }
  const nlohmann::json instance = Variable("instance");
  const std::string variable = instance.is_object() ? instance.value("definition", "") : "";
  for (std::string& u : UnknownNames(variable, "variable instance")) unknown.push_back(u);
  EXPECT_THAT(unknown, IsEmpty());
  EXPECT_THAT(used, IsSupersetOf({"vigil_events_consumed_total", "vigil_consumer_lag_records",
                                  "vigil_event_to_warning_seconds", "vigil_open_warnings",
                                  "vigil_outbox_oldest_age_seconds", "vigil_ready"}));
}

// The alert rules parse, include the expected alerts, and query only families vigild serves.
TEST(AlertRulesTest, QueryOnlyKnownMetrics) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(kAlertsPath);
  } catch (const YAML::Exception& e) {
    FAIL() << kAlertsPath << ": " << e.what();
  }
  ASSERT_TRUE(root["groups"].IsSequence()) << "no groups";
  std::vector<std::string> unknown;
  std::set<std::string> alerts;
  int exprs = 0;
  for (const YAML::Node& group : root["groups"]) {
    ASSERT_TRUE(group["rules"].IsSequence()) << "group without rules";
    for (const YAML::Node& rule : group["rules"]) {
      const std::string name =
          rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>("?");
      alerts.insert(name);
      ASSERT_TRUE(rule["expr"].IsScalar()) << name << " has no expr";
      ++exprs;
      for (std::string& u : UnknownNames(rule["expr"].as<std::string>(), "alert " + name)) {
        unknown.push_back(std::move(u));
      }
    }
  }
  EXPECT_GT(exprs, 0);
  EXPECT_THAT(unknown, IsEmpty());
  EXPECT_THAT(alerts, IsSupersetOf({"VigilDown", "VigilNotReady", "VigilConsumerLagGrowing",
                                    "VigilOutboxStuck", "VigilTimersLate", "VigilDeadLetterRate",
                                    "VigilRuleReloadFailed"}));
}

}  // namespace
}  // namespace vigil::deploy
