{
  "variables": {
    "has_vectorscan": "<!(node -p \"+require('fs').existsSync(require('path').join(process.env.SSEREDACT_HS_INCLUDE || '/usr/include/hs', 'hs.h'))\")"
  },
  "targets": [
    {
      "target_name": "sseredact_vectorscan",
      "sources": ["src/addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -e \"process.stdout.write(process.env.SSEREDACT_HS_INCLUDE || '/usr/include/hs')\")"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "conditions": [
        ["has_vectorscan==1", { "libraries": ["-lhs"], "defines": ["SSEREDACT_VECTORSCAN"] }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
