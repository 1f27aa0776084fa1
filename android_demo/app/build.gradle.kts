plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "com.example.kws"
    compileSdk = 34

    defaultConfig {
        applicationId = "com.example.kws"
        minSdk = 24
        targetSdk = 34
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }

    // Keep the model uncompressed in the APK (faster to load, no inflation).
    androidResources {
        noCompress += "tflite"
    }
}

dependencies {
    // LiteRT (formerly TensorFlow Lite) Java/Kotlin runtime: org.tensorflow.lite.Interpreter.
    implementation("com.google.ai.edge.litert:litert:1.4.0")
}
