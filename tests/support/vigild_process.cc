#include "tests/support/vigild_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace vigil::testing {

VigildProcess::VigildProcess(std::string config_path, std::string log_path)
    : config_path_(std::move(config_path)), log_path_(std::move(log_path)) {}

VigildProcess::~VigildProcess() {
  if (pid_ > 0) Signal(SIGKILL);
}

void VigildProcess::Start() {
  ASSERT_LE(pid_, 0) << "already running";
  log_start_ = Log().size();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(VIGILD_PATH, "vigild", "--config", config_path_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
}

int VigildProcess::Signal(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  if (sig != SIGTERM && sig != SIGINT && sig != SIGKILL) return 0;  // e.g. SIGHUP: keeps running
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool VigildProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string VigildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string VigildProcess::LogSinceStart() const {
  std::string log = Log();
  return log.size() >= log_start_ ? log.substr(log_start_) : log;
}

bool AwaitLog(const VigildProcess& p, const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p.LogSinceStart().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a file
  }
  return false;
}

}  // namespace vigil::testing
