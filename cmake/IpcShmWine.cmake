# SPDX-License-Identifier: MIT
# Running the Windows programs under Wine: the environment of every test and
# a ctest fixture that keeps one wineserver alive for the whole run, so that
# each test does not pay Wine's start-up.
#
# Provides IPC_SHM_WINE_ENV (a list for the ENVIRONMENT test property) and
# ipc_shm_use_wine(test...) to put tests in the fixture.

set(IPC_SHM_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH
    "Wine prefix for running the tests")
set(IPC_SHM_WINE_ENV
    "WINEPREFIX=${IPC_SHM_WINEPREFIX}"
    "WINEDEBUG=-all"
    "WINEDLLOVERRIDES=mscoree,mshtml=")

get_filename_component(_wine_dir "${CMAKE_CROSSCOMPILING_EMULATOR}" DIRECTORY)
find_program(IPC_SHM_WINESERVER NAMES wineserver64 wineserver
             HINTS ${_wine_dir} PATHS /usr/lib/wine /usr/bin NO_CMAKE_FIND_ROOT_PATH)
if(NOT IPC_SHM_WINESERVER)
  message(FATAL_ERROR "wineserver not found next to ${CMAKE_CROSSCOMPILING_EMULATOR}")
endif()

add_test(NAME wine.start
         COMMAND ${CMAKE_COMMAND}
                 -DWINE=${CMAKE_CROSSCOMPILING_EMULATOR}
                 -DWINESERVER=${IPC_SHM_WINESERVER}
                 -DPREFIX=${IPC_SHM_WINEPREFIX}
                 -DACTION=start
                 -P ${CMAKE_CURRENT_LIST_DIR}/wine-fixture.cmake)
add_test(NAME wine.stop
         COMMAND ${CMAKE_COMMAND}
                 -DWINE=${CMAKE_CROSSCOMPILING_EMULATOR}
                 -DWINESERVER=${IPC_SHM_WINESERVER}
                 -DPREFIX=${IPC_SHM_WINEPREFIX}
                 -DACTION=stop
                 -P ${CMAKE_CURRENT_LIST_DIR}/wine-fixture.cmake)
set_tests_properties(wine.start PROPERTIES FIXTURES_SETUP wine TIMEOUT 300
                     ENVIRONMENT "${IPC_SHM_WINE_ENV}")
set_tests_properties(wine.stop PROPERTIES FIXTURES_CLEANUP wine TIMEOUT 120
                     ENVIRONMENT "${IPC_SHM_WINE_ENV}")

function(ipc_shm_use_wine)
  set_tests_properties(${ARGN} PROPERTIES FIXTURES_REQUIRED wine)
  set_property(TEST ${ARGN} APPEND PROPERTY ENVIRONMENT ${IPC_SHM_WINE_ENV})
endfunction()
