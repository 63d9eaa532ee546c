// dotgrad-device-runner: the GPU check (devices, conformance, gemm, steps); see DeviceRunner for the options.
return DotGrad.Benchmarks.OnDevice.DeviceRunner.Run(args, Console.Out);
