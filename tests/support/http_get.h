#pragma once

#include <string>

namespace vigil::testing {

// One HTTP GET (libcurl, 5 s timeout). code 0: no answer.
struct HttpReply {
  long code = 0;
  std::string body;
  std::string content_type;
};
HttpReply HttpGet(const std::string& url);

// `s` percent-encoded for a URL query.
std::string UrlEncode(const std::string& s);

}  // namespace vigil::testing
