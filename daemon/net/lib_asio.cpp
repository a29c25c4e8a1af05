// The single translation unit that compiles Asio and Beast (see CMakeLists.txt): with
// BOOST_{ASIO,BEAST}_SEPARATE_COMPILATION every other file only sees declarations, which keeps
// Beast's 30-60 s compile cost paid once.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
