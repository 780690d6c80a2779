# SPDX-License-Identifier: MIT
# cmake -DWINE=... -DWINESERVER=... -DPREFIX=... -DACTION=start|stop -P wine-fixture.cmake
#
# start: create the prefix if needed, start a persistent wineserver (before
#        wineboot, so that wineboot does not start a short-lived one) and
#        boot the prefix. Blank the AeDebug debugger, so that a crashing test
#        ends with an error status instead of waiting for winedbg.
# stop:  shut the prefix down and wait for the server to exit.
# Every Wine process gets /dev/null or a file as stdin/stdout/stderr: one that
# inherits ctest's pipes keeps them open and ctest waits for it.
set(log ${PREFIX}.log)
if(ACTION STREQUAL "start")
  file(MAKE_DIRECTORY ${PREFIX})
  execute_process(COMMAND ${WINESERVER} -p INPUT_FILE /dev/null
                  OUTPUT_FILE ${log} ERROR_FILE ${log})
  execute_process(COMMAND ${WINE} wineboot -i INPUT_FILE /dev/null
                  OUTPUT_FILE ${log} ERROR_FILE ${log} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "wineboot failed (${rc}), see ${log}")
  endif()
  execute_process(COMMAND ${WINE} reg add
                  "HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\AeDebug"
                  /v Debugger /t REG_SZ /d "" /f
                  INPUT_FILE /dev/null OUTPUT_FILE ${log} ERROR_FILE ${log} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not blank the AeDebug debugger (${rc}), see ${log}")
  endif()
  message(STATUS "Wine prefix ${PREFIX} ready")
elseif(ACTION STREQUAL "stop")
  execute_process(COMMAND ${WINE} wineboot -s INPUT_FILE /dev/null
                  OUTPUT_FILE ${log} ERROR_FILE ${log})
  execute_process(COMMAND ${WINESERVER} -k INPUT_FILE /dev/null
                  OUTPUT_FILE ${log} ERROR_FILE ${log})
  execute_process(COMMAND ${WINESERVER} -w INPUT_FILE /dev/null
                  OUTPUT_FILE ${log} ERROR_FILE ${log})
  message(STATUS "Wine prefix ${PREFIX} stopped")
else()
  message(FATAL_ERROR "ACTION must be start or stop")
endif()
