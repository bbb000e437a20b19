module my-service

go 1.27
