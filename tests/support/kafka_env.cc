#include "tests/support/kafka_env.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace vigil::testing {
namespace {

std::string& BootstrapStorage() {
  static std::string bootstrap;  // set once in SetUp, read by tests
  return bootstrap;
}

// Runs a command; returns its exit status and stdout.
int Run(const std::string& cmd, std::string* out) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return -1;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe.get())) out->append(buf, n);
  return pclose(pipe.release());
}

}  // namespace

const std::string& KafkaEnvironment::Bootstrap() { return BootstrapStorage(); }

void KafkaEnvironment::SetUp() {
  if (const char* env = std::getenv("KAFKA_BOOTSTRAP"); env && *env) {
    BootstrapStorage() = env;
    std::cout << "[ kafka    ] using Apache Kafka at " << env << " (KAFKA_BOOTSTRAP)\n";
    return;
  }
  std::string out;
  const std::string cmd = std::string(VIGIL_SOURCE_DIR) + "/tools/kafka-dev start";
  const int rc = Run(cmd, &out);
  ASSERT_EQ(rc, 0) << "could not start Apache Kafka with `" << cmd << "`:\n" << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  BootstrapStorage() = out.substr(out.rfind('\n') + 1);
  started_here_ = true;
  std::cout << "[ kafka    ] started Apache Kafka (KRaft, tools/kafka-dev) at " << Bootstrap()
            << "\n";
}

void KafkaEnvironment::TearDown() {
  if (!started_here_) return;
  std::string out;
  Run(std::string(VIGIL_SOURCE_DIR) + "/tools/kafka-dev stop", &out);
}

}  // namespace vigil::testing
