# Flags for test sources (fr_cc_test, tests/support); see fr_cc_test.
set(FR_TEST_COPTS -O0 -g1)

# One helper per kind of target keeps every CMakeLists.txt to a few lines
# (the Abseil way: absl_cc_library / absl_cc_test).

# fr_cc_library(NAME name SRCS ... DEPS ...)
function(fr_cc_library)
  cmake_parse_arguments(FR "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${FR_NAME} STATIC ${FR_SRCS})
  target_include_directories(${FR_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${FR_NAME} PUBLIC ${FR_DEPS})
endfunction()

# fr_cc_test(NAME name SRCS ... DEPS ... [LABELS ...])
# Each test binary is one CTest entry; GoogleTest prints the cases inside it.
function(fr_cc_test)
  cmake_parse_arguments(FR "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${FR_NAME} ${FR_SRCS})
  target_include_directories(${FR_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${FR_NAME} PRIVATE ${FR_DEPS} GTest::gmock GTest::gtest_main)
  # Test code is compiled unoptimized with line tables only: it is most of
  # the build (gtest and gRPC headers in every file), its speed does not
  # matter, and this takes about 40% off each file. The code under test
  # (the libraries and the server) keeps the build type's flags.
  target_compile_options(${FR_NAME} PRIVATE ${FR_TEST_COPTS})
  add_test(NAME ${FR_NAME} COMMAND ${FR_NAME} --gtest_color=no)
  if(FR_LABELS)
    set_tests_properties(${FR_NAME} PROPERTIES LABELS "${FR_LABELS}")
  endif()
endfunction()
