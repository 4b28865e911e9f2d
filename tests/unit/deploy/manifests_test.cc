// The shipped deployment files agree with vigild: deploy/k8s/*.yaml (the ConfigMap's
// vigil.yaml passes vigild's own config parser; the StatefulSet's ports, probes and mounts
// match that config) and deploy/systemd/vigild.service. Each check is a function returning
// a status, so the tests below also show that each one rejects a broken manifest.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processors/vigild/config.h"

namespace vigil::vigild {
namespace {

namespace fs = std::filesystem;

const fs::path kDeployDir = fs::path(VIGIL_SOURCE_DIR) / "deploy";

// One YAML document of deploy/k8s.
struct Doc {
  std::string file;  // file name, e.g. "statefulset.yaml"
  YAML::Node node;
};

// yaml-cpp's operator[] throws on a missing key of a missing key (const) or inserts keys
// (non-const), so lookups go through At(): a missing step gives an undefined node.
YAML::Node Missing() { return YAML::Node(YAML::NodeType::Undefined); }

YAML::Node At(const YAML::Node& n) { return n; }

template <typename... Rest>
YAML::Node At(const YAML::Node& n, const std::string& key, const Rest&... rest) {
  if (!n.IsDefined() || !n.IsMap()) return Missing();
  const YAML::Node v = n[key];
  if (!v.IsDefined()) return Missing();
  return At(v, rest...);
}

// The scalar's text, or "" for anything else.
std::string Str(const YAML::Node& n) { return n.IsDefined() && n.IsScalar() ? n.Scalar() : ""; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every document of every deploy/k8s/*.yaml, in file-name order.
std::vector<Doc> LoadK8sDocs() {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(kDeployDir / "k8s")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Doc> docs;
  for (const fs::path& f : files) {
    for (const YAML::Node& n : YAML::LoadAllFromFile(f.string())) {
      if (n && !n.IsNull()) docs.push_back({f.filename().string(), n});
    }
  }
  return docs;
}

// The document of `kind` named `name` (a null node if there is none).
YAML::Node Find(const std::vector<Doc>& docs, const std::string& kind, const std::string& name) {
  for (const Doc& d : docs) {
    if (Str(At(d.node, "kind")) == kind && Str(At(d.node, "metadata", "name")) == name) {
      return d.node;
    }
  }
  return Missing();
}

// The port number at the end of "host:port".
absl::StatusOr<int> PortOf(const std::string& listen) {
  int port = 0;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("no port in \"", listen, "\""));
  }
  return port;
}

// The vigil.yaml in ConfigMap vigil-config, through vigild's own parser.
absl::StatusOr<Config> ConfigFromConfigMap(const YAML::Node& config_map) {
  if (!config_map) return absl::NotFoundError("no ConfigMap vigil-config");
  const YAML::Node text = At(config_map, "data", "vigil.yaml");
  if (!text.IsDefined() || !text.IsScalar())
    return absl::NotFoundError("vigil-config has no data.vigil.yaml");
  return ParseConfig(text.Scalar(), "deploy/k8s/configmap.yaml[vigil.yaml]");
}

YAML::Node VigildContainer(const YAML::Node& sts) {
  for (const YAML::Node& c : At(sts, "spec", "template", "spec", "containers")) {
    if (Str(At(c, "name")) == "vigild") return c;
  }
  return Missing();
}

// containerPort of the port named `name` (0 if none).
int ContainerPort(const YAML::Node& container, const std::string& name) {
  for (const YAML::Node& p : At(container, "ports")) {
    if (Str(At(p, "name")) == name) return At(p, "containerPort").as<int>(0);
  }
  return 0;
}

// The container ports "metrics" and "alerts-grpc" are the ports vigild listens on, on every
// interface (a 127.0.0.1 listener would be unreachable for the kubelet and the Services).
absl::Status CheckPorts(const YAML::Node& container, const Config& config) {
  struct Want {
    std::string port_name, key, listen;
  };
  for (const Want& w : {Want{"metrics", "metrics.listen", config.metrics_listen},
                        Want{"alerts-grpc", "alerts.listen", config.alerts.listen}}) {
    if (w.listen.empty()) return absl::FailedPreconditionError(w.key + " is not set");
    if (!absl::StartsWith(w.listen, "0.0.0.0:")) {
      return absl::FailedPreconditionError(
          absl::StrCat(w.key, " \"", w.listen, "\" must listen on 0.0.0.0 in a pod"));
    }
    absl::StatusOr<int> want = PortOf(w.listen);
    if (!want.ok()) return want.status();
    const int have = ContainerPort(container, w.port_name);
    if (have != *want) {
      return absl::FailedPreconditionError(
          absl::StrCat("container port ", w.port_name, " is ", have, ", ", w.key, " says ", *want));
    }
  }
  return absl::OkStatus();
}

// The probes ask vigild's ops endpoint: startup and liveness /healthz, readiness /readyz,
// all on the metrics port (by name or number).
absl::Status CheckProbes(const YAML::Node& container, int metrics_port) {
  struct Want {
    std::string probe, path;
  };
  for (const Want& w : {Want{"startupProbe", "/healthz"}, Want{"livenessProbe", "/healthz"},
                        Want{"readinessProbe", "/readyz"}}) {
    const YAML::Node get = At(container, w.probe, "httpGet");
    if (!get.IsDefined()) return absl::NotFoundError(w.probe + " has no httpGet");
    const std::string path = Str(At(get, "path"));
    if (path != w.path) {
      return absl::FailedPreconditionError(
          absl::StrCat(w.probe, " asks ", path, ", expected ", w.path));
    }
    const std::string port = Str(At(get, "port"));
    int number = 0;
    if (!absl::SimpleAtoi(port, &number)) number = ContainerPort(container, port);
    if (number != metrics_port) {
      return absl::FailedPreconditionError(
          absl::StrCat(w.probe, " port ", port, " is not the metrics port ", metrics_port));
    }
  }
  return absl::OkStatus();
}

// The volume (by name) mounted at the longest mountPath that contains `path`.
std::string VolumeHolding(const YAML::Node& container, const std::string& path,
                          std::string* mount_path) {
  std::string best_volume, best_path;
  for (const YAML::Node& m : At(container, "volumeMounts")) {
    const std::string mp = Str(At(m, "mountPath"));
    const bool covers = path == mp || absl::StartsWith(path, mp + "/");
    if (covers && mp.size() > best_path.size()) {
      best_path = mp;
      best_volume = Str(At(m, "name"));
    }
  }
  if (mount_path != nullptr) *mount_path = best_path;
  return best_volume;
}

// The pod volume named `name` (a null node if there is none).
YAML::Node PodVolume(const YAML::Node& sts, const std::string& name) {
  for (const YAML::Node& v : At(sts, "spec", "template", "spec", "volumes")) {
    if (Str(At(v, "name")) == name) return v;
  }
  return Missing();
}

// state.path lies on a volume from the volumeClaimTemplates (RocksDB must survive restarts).
absl::Status CheckStateVolume(const YAML::Node& sts, const Config& config) {
  if (!absl::StartsWith(config.state_path, "/")) {
    return absl::FailedPreconditionError("state.path must be absolute in a pod");
  }
  const std::string volume = VolumeHolding(VigildContainer(sts), config.state_path, nullptr);
  if (volume.empty()) {
    return absl::FailedPreconditionError("no volume mount holds state.path " + config.state_path);
  }
  for (const YAML::Node& t : At(sts, "spec", "volumeClaimTemplates")) {
    if (Str(At(t, "metadata", "name")) == volume) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "state.path ", config.state_path, " is on volume ", volume, ", not a volumeClaimTemplate"));
}

// rules.dir is a ConfigMap mounted exactly there; the TLS files are on a Secret; the -c file
// is the vigil.yaml key of ConfigMap vigil-config.
absl::Status CheckMounts(const YAML::Node& sts, const Config& config) {
  const YAML::Node container = VigildContainer(sts);
  std::string mount_path;
  std::string volume = VolumeHolding(container, config.rules_dir, &mount_path);
  if (volume.empty() || mount_path != config.rules_dir ||
      !At(PodVolume(sts, volume), "configMap").IsDefined()) {
    return absl::FailedPreconditionError("rules.dir " + config.rules_dir +
                                         " is not a ConfigMap volume mounted at that path");
  }
  for (const std::string& file :
       {config.alerts.cert_file, config.alerts.key_file, config.alerts.client_ca_file}) {
    if (file.empty()) continue;
    volume = VolumeHolding(container, file, nullptr);
    if (volume.empty() || !At(PodVolume(sts, volume), "secret").IsDefined()) {
      return absl::FailedPreconditionError("TLS file " + file + " is not on a Secret volume");
    }
  }
  std::string config_file;
  const YAML::Node args = At(container, "args");
  for (size_t i = 0; args.IsSequence() && i + 1 < args.size(); ++i) {
    const std::string a = Str(args[i]);
    if (a == "-c" || a == "--config") config_file = Str(args[i + 1]);
  }
  if (config_file.empty()) return absl::FailedPreconditionError("vigild args have no -c FILE");
  volume = VolumeHolding(container, config_file, &mount_path);
  const YAML::Node source = At(PodVolume(sts, volume), "configMap");
  if (Str(At(source, "name")) != "vigil-config" || config_file != mount_path + "/vigil.yaml") {
    return absl::FailedPreconditionError("-c " + config_file +
                                         " is not vigil.yaml of the ConfigMap vigil-config");
  }
  return absl::OkStatus();
}

// The systemd unit starts vigild with -c, reloads with SIGHUP and keeps its state directory.
absl::Status CheckSystemdUnit(const std::string& unit) {
  std::istringstream in(unit);
  std::string line, exec_start;
  std::set<std::string> lines;
  while (std::getline(in, line)) {
    lines.insert(line);
    if (absl::StartsWith(line, "ExecStart=")) exec_start = line;
  }
  if (exec_start.empty()) return absl::NotFoundError("no ExecStart=");
  if (exec_start.find("/vigild ") == std::string::npos ||
      exec_start.find(" -c /") == std::string::npos) {
    return absl::FailedPreconditionError("ExecStart does not run vigild -c <config>: " +
                                         exec_start);
  }
  for (const char* want : {"ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=vigil",
                           "KillSignal=SIGTERM", "User=vigil", "Restart=on-failure"}) {
    if (!lines.contains(want)) return absl::NotFoundError(absl::StrCat("no line ", want));
  }
  return absl::OkStatus();
}

class ManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docs_ = LoadK8sDocs();
    sts_ = Find(docs_, "StatefulSet", "vigild");
    ASSERT_TRUE(sts_.IsDefined()) << "deploy/k8s has no StatefulSet vigild";
    container_ = VigildContainer(sts_);
    ASSERT_TRUE(container_.IsDefined()) << "the StatefulSet has no container vigild";
    absl::StatusOr<Config> config = ConfigFromConfigMap(Find(docs_, "ConfigMap", "vigil-config"));
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
  }

  std::vector<Doc> docs_;
  YAML::Node sts_;
  YAML::Node container_;
  Config config_;
};

// The vigil.yaml embedded in the ConfigMap is a config vigild accepts. (The `metrics:`
// section is parsed since the /metrics change on this branch; if a merge ever drops it from
// the parser, this is the expectation that fails.)
TEST_F(ManifestsTest, EmbeddedConfigIsAcceptedByVigild) {
  EXPECT_EQ(config_.metrics_listen, "0.0.0.0:9464");
  EXPECT_EQ(config_.alerts.listen, "0.0.0.0:7443");
  EXPECT_FALSE(absl::StartsWith(config_.brokers, "127.0.0.1")) << "a pod's loopback has no Kafka";
  // No secrets in a ConfigMap: units sign in with client certificates.
  for (const alerts::Unit& u : config_.alerts.units) EXPECT_TRUE(u.token.empty()) << u.name;
}

// A typo in the embedded config is caught by the same parser.
TEST_F(ManifestsTest, BrokenEmbeddedConfigIsRejected) {
  YAML::Node cm = YAML::Clone(Find(docs_, "ConfigMap", "vigil-config"));
  cm["data"]["vigil.yaml"] = cm["data"]["vigil.yaml"].Scalar() + "\nstate_dir: /tmp\n";
  const absl::StatusOr<Config> c = ConfigFromConfigMap(cm);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("state_dir: unknown key"), std::string::npos) << c.status();
}

// Every manifest has a kind and a name, no namespace, and is listed in kustomization.yaml.
TEST_F(ManifestsTest, ManifestsAreNamespaceAgnosticAndAllInTheKustomization) {
  std::set<std::string> files, resources;
  for (const Doc& d : docs_) {
    const std::string kind = Str(At(d.node, "kind"));
    EXPECT_FALSE(kind.empty()) << d.file;
    if (kind == "Kustomization") {
      EXPECT_FALSE(At(d.node, "namespace").IsDefined()) << "kustomization.yaml fixes a namespace";
      for (const YAML::Node& r : At(d.node, "resources")) resources.insert(Str(r));
      continue;
    }
    files.insert(d.file);
    EXPECT_FALSE(Str(At(d.node, "metadata", "name")).empty()) << d.file;
    EXPECT_FALSE(At(d.node, "metadata", "namespace").IsDefined()) << d.file << ": " << kind;
  }
  EXPECT_EQ(files, resources);
}

// Container ports = metrics.listen and alerts.listen ports.
TEST_F(ManifestsTest, ContainerPortsMatchTheConfig) {
  EXPECT_TRUE(CheckPorts(container_, config_).ok()) << CheckPorts(container_, config_);
  EXPECT_EQ(ContainerPort(container_, "metrics"), 9464);
  EXPECT_EQ(ContainerPort(container_, "alerts-grpc"), 7443);

  Config other = config_;
  other.metrics_listen = "0.0.0.0:9465";
  EXPECT_EQ(CheckPorts(container_, other).code(), absl::StatusCode::kFailedPrecondition);
  other = config_;
  other.alerts.listen = "127.0.0.1:7443";
  EXPECT_EQ(CheckPorts(container_, other).code(), absl::StatusCode::kFailedPrecondition);
}

// Startup and liveness ask /healthz, readiness /readyz, on the metrics port.
TEST_F(ManifestsTest, ProbesAskHealthzAndReadyzOnTheMetricsPort) {
  const int port = *PortOf(config_.metrics_listen);
  EXPECT_TRUE(CheckProbes(container_, port).ok()) << CheckProbes(container_, port);

  YAML::Node wrong_path = YAML::Clone(container_);
  wrong_path["readinessProbe"]["httpGet"]["path"] = "/healthz";
  EXPECT_EQ(CheckProbes(wrong_path, port).code(), absl::StatusCode::kFailedPrecondition);
  YAML::Node wrong_port = YAML::Clone(container_);
  wrong_port["livenessProbe"]["httpGet"]["port"] = "alerts-grpc";
  EXPECT_EQ(CheckProbes(wrong_port, port).code(), absl::StatusCode::kFailedPrecondition);
  YAML::Node no_probe = YAML::Clone(container_);
  no_probe.remove("startupProbe");
  EXPECT_EQ(CheckProbes(no_probe, port).code(), absl::StatusCode::kNotFound);
}

// state.path is on the StatefulSet's persistent volume claim.
TEST_F(ManifestsTest, StateDirectoryIsOnThePersistentVolume) {
  EXPECT_TRUE(CheckStateVolume(sts_, config_).ok()) << CheckStateVolume(sts_, config_);

  Config elsewhere = config_;
  elsewhere.state_path = "/tmp/state";  // the emptyDir
  EXPECT_EQ(CheckStateVolume(sts_, elsewhere).code(), absl::StatusCode::kFailedPrecondition);
  elsewhere.state_path = "/data/state";  // no volume at all
  EXPECT_EQ(CheckStateVolume(sts_, elsewhere).code(), absl::StatusCode::kFailedPrecondition);
}

// rules.dir, the TLS files and the -c config file are where the volumes put them.
TEST_F(ManifestsTest, RulesTlsAndConfigAreMounted) {
  EXPECT_TRUE(CheckMounts(sts_, config_).ok()) << CheckMounts(sts_, config_);

  Config other = config_;
  other.rules_dir = "/etc/vigil/rules2";
  EXPECT_EQ(CheckMounts(sts_, other).code(), absl::StatusCode::kFailedPrecondition);
  other = config_;
  other.alerts.key_file = "/etc/vigil/config/server.key";  // a ConfigMap, not a Secret
  EXPECT_EQ(CheckMounts(sts_, other).code(), absl::StatusCode::kFailedPrecondition);
  YAML::Node sts = YAML::Clone(sts_);
  sts["spec"]["template"]["spec"]["containers"][0]["args"][1] = "/etc/vigil/vigil.yaml";
  EXPECT_EQ(CheckMounts(sts, config_).code(), absl::StatusCode::kFailedPrecondition);
}

// The Services select the pods and expose both ports; the ServiceMonitor scrapes "metrics".
TEST_F(ManifestsTest, ServicesAndServiceMonitorReachThePods) {
  const YAML::Node labels = At(sts_, "spec", "template", "metadata", "labels");
  for (const char* name : {"vigild", "vigild-headless"}) {
    const YAML::Node svc = Find(docs_, "Service", name);
    ASSERT_TRUE(svc.IsDefined()) << name;
    ASSERT_TRUE(At(svc, "spec", "selector").IsMap()) << name;
    for (const auto& kv : At(svc, "spec", "selector")) {
      EXPECT_EQ(Str(At(labels, Str(kv.first))), Str(kv.second))
          << name << " selects " << Str(kv.first);
    }
    std::set<std::string> targets;
    for (const YAML::Node& p : At(svc, "spec", "ports")) targets.insert(Str(At(p, "targetPort")));
    EXPECT_EQ(targets, (std::set<std::string>{"metrics", "alerts-grpc"})) << name;
  }
  EXPECT_EQ(Str(At(Find(docs_, "Service", "vigild-headless"), "spec", "clusterIP")), "None");
  EXPECT_EQ(Str(At(sts_, "spec", "serviceName")), "vigild-headless");
  EXPECT_GE(At(sts_, "spec", "template", "spec", "terminationGracePeriodSeconds").as<int>(0), 30);

  const YAML::Node sm = Find(docs_, "ServiceMonitor", "vigild");
  ASSERT_TRUE(sm.IsDefined());
  EXPECT_EQ(Str(At(sm, "apiVersion")), "monitoring.coreos.com/v1");
  const YAML::Node endpoints = At(sm, "spec", "endpoints");
  ASSERT_TRUE(endpoints.IsSequence() && endpoints.size() == 1);
  EXPECT_EQ(Str(At(endpoints[0], "port")), "metrics");
  EXPECT_EQ(Str(At(endpoints[0], "path")), "/metrics");
  // Only the vigild Service (not the headless one too, or every series is scraped twice).
  int selected = 0;
  for (const char* name : {"vigild", "vigild-headless"}) {
    const YAML::Node svc_labels = At(Find(docs_, "Service", name), "metadata", "labels");
    bool all = true;
    for (const auto& kv : At(sm, "spec", "selector", "matchLabels")) {
      all = all && Str(At(svc_labels, Str(kv.first))) == Str(kv.second);
    }
    selected += all ? 1 : 0;
  }
  EXPECT_EQ(selected, 1);
}

// deploy/systemd/vigild.service runs vigild -c, reloads with SIGHUP, keeps /var/lib/vigil.
TEST(SystemdUnitTest, RunsVigildWithItsConfig) {
  const fs::path unit = kDeployDir / "systemd" / "vigild.service";
  ASSERT_TRUE(fs::exists(unit)) << unit;
  const std::string text = ReadFile(unit);
  EXPECT_TRUE(CheckSystemdUnit(text).ok()) << CheckSystemdUnit(text);

  std::string no_config = text;
  no_config.replace(no_config.find(" -c /"), 5, " --x /");
  EXPECT_EQ(CheckSystemdUnit(no_config).code(), absl::StatusCode::kFailedPrecondition);
  std::string no_reload = text;
  no_reload.replace(no_reload.find("ExecReload="), 11, "#ExecReload=");
  EXPECT_EQ(CheckSystemdUnit(no_reload).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CheckSystemdUnit("[Service]\n").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::vigild
