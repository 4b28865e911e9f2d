#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace vigil::testing {

// The real vigild binary, run as a child process with a config file.
class VigildProcess {
 public:
  VigildProcess(std::string config_path, std::string log_path);
  ~VigildProcess();  // SIGKILLs a child still running

  void Start();
  // Sends `sig`; for SIGTERM/SIGINT/SIGKILL also waits and returns the exit
  // status as from waitpid (use WIFEXITED etc.).
  int Signal(int sig);
  // True while the child has not exited (reaps it when it has).
  bool Alive();
  // The child's stdout+stderr so far (for failure messages); the log file is
  // shared by restarts with the same path, so this includes earlier runs.
  std::string Log() const;
  // Only what this run (since the last Start) wrote.
  std::string LogSinceStart() const;

 private:
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  size_t log_start_ = 0;
};

// Waits until this run of `p` has logged `text` (polls the log file).
bool AwaitLog(const VigildProcess& p, const std::string& text, std::chrono::milliseconds timeout);

}  // namespace vigil::testing
