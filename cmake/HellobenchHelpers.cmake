# Helpers shared by the module folders.

# hellobench_add_gtest(NAME SOURCES ... [LIBS ...] [ARGS ...] [TIMEOUT s] [RUN_SERIAL])
# One GoogleTest executable under <build>/tests, registered with ctest test by test.
# RUN_SERIAL: its tests load both CPUs (a whole benchmark run), so ctest runs them alone rather
# than beside timing-sensitive tests.
function(hellobench_add_gtest name)
  cmake_parse_arguments(arg "RUN_SERIAL" "TIMEOUT" "SOURCES;LIBS;ARGS" ${ARGN})
  if(NOT HELLOBENCH_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} GTest::gtest GTest::gtest_main GTest::gmock hellobench::warnings)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  set(properties TIMEOUT ${arg_TIMEOUT})
  if(arg_RUN_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${name} EXTRA_ARGS ${arg_ARGS} PROPERTIES ${properties} DISCOVERY_TIMEOUT 30)
endfunction()

# hellobench_add_benchmark(NAME SOURCES ... [LIBS ...])
# One Google Benchmark executable under <build>/bench; run by `make microbench`, never by ctest.
function(hellobench_add_benchmark name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT HELLOBENCH_BUILD_BENCHMARKS)
    return()
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} benchmark::benchmark hellobench::warnings)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench")
  set_property(GLOBAL APPEND PROPERTY HELLOBENCH_MICROBENCHMARKS ${name})
endfunction()
