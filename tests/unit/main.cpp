// The unit tests' entry point: Catch2's own, except that a run which matches no test case, or a
// test case that checks nothing, fails. ctest runs one test case per entry, so an entry whose
// name no longer matches its test case (or one that asserts nothing) cannot pass silently.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  Catch::Session session;
  session.configData().warnings =
      static_cast<Catch::WarnAbout::What>(Catch::WarnAbout::NoAssertions | Catch::WarnAbout::NoTests);
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  return session.run();
}
