# SPDX-License-Identifier: MIT
# Warning flags, probed once for the compiler in use.
include(CheckCCompilerFlag)

set(IPC_SHM_WARNING_FLAGS "")
if(MSVC)
  list(APPEND IPC_SHM_WARNING_FLAGS /W4)
  if(IPC_SHM_WERROR)
    list(APPEND IPC_SHM_WARNING_FLAGS /WX)
  endif()
else()
  foreach(flag -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
               -Wmissing-prototypes -Wcast-qual -Wformat=2 -Wvla)
    string(MAKE_C_IDENTIFIER "IPC_SHM_HAS${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
      list(APPEND IPC_SHM_WARNING_FLAGS ${flag})
    endif()
  endforeach()
  if(IPC_SHM_WERROR)
    list(APPEND IPC_SHM_WARNING_FLAGS -Werror)
  endif()
endif()

function(ipc_shm_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${IPC_SHM_WARNING_FLAGS}>)
endfunction()
