#include "processors/metrics/ops_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "processors/metrics/metrics.h"
#include "tests/support/http_get.h"

namespace vigil::metrics {
namespace {

using testing::HttpGet;
using testing::HttpReply;

HttpReply Get(int port, const std::string& path) {
  return HttpGet(absl::StrCat("http://127.0.0.1:", port, path));
}

TEST(OpsServerTest, ServesMetricsAndTheHealthChecks) {
  Metrics m("test");
  m.timers_fired().Increment(3);
  std::atomic<bool> live{true}, ready{false};
  auto server = OpsServer::Start(
      "127.0.0.1:0", m.registry(),
      {[&] {
         return Health{live.load(), R"({"status":"live"})"};
       },
       [&] {
         return Health{ready.load(), R"({"status":"not ready","reasons":["lag"]})"};
       }});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);

  const HttpReply metrics = Get(port, "/metrics");
  EXPECT_EQ(metrics.code, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << metrics.content_type;
  EXPECT_NE(metrics.body.find("vigil_timers_fired_total 3"), std::string::npos) << metrics.body;

  EXPECT_EQ(Get(port, "/healthz").code, 200);
  const HttpReply not_ready = Get(port, "/readyz");
  EXPECT_EQ(not_ready.code, 503);
  EXPECT_NE(not_ready.body.find(R"("reasons":["lag"])"), std::string::npos) << not_ready.body;
  // The checks are asked on every request.
  ready = true;
  live = false;
  EXPECT_EQ(Get(port, "/readyz").code, 200);
  EXPECT_EQ(Get(port, "/healthz").code, 503);
  EXPECT_EQ(Get(port, "/nothing-here").code, 404);
}

TEST(OpsServerTest, APortInUseIsAClearError) {
  Metrics m("test");
  auto first = OpsServer::Start("127.0.0.1:0", m.registry(),
                                {[] { return Health{true}; }, [] { return Health{true}; }});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = OpsServer::Start(absl::StrCat("127.0.0.1:", (*first)->port()), m.registry(),
                                 {[] { return Health{true}; }, [] { return Health{true}; }});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("metrics.listen"), std::string::npos) << second.status();
}

}  // namespace
}  // namespace vigil::metrics
