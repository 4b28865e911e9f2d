#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::bench {

// A child process (vigild) with its stdout and stderr in a log file.
class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& log_path);
  ~ChildProcess();  // SIGKILLs a child still running

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it when it has).
  bool Alive();
  // CPU time (user + system) the child has used so far, from /proc.
  double CpuSeconds() const;
  // SIGTERM, then SIGKILL after `timeout_ms`; returns the waitpid status.
  int Stop(int timeout_ms);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  int status_ = 0;
};

}  // namespace vigil::bench
