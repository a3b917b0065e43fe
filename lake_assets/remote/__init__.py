"""Remote engines: the same jobs run on AWS Glue / EMR Serverless, reporting back through Pipes."""
